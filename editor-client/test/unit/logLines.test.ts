import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { levelOf, LineTail } from '../../src/logLines';

describe('levelOf', () => {
  it('maps the server log format to log levels', () => {
    assert.equal(levelOf('2025-11-29 10:00:00,123 INFO infilld.lsp: ready', 'error'), 'info');
    assert.equal(levelOf('2025-11-29 10:00:00,123 WARNING infilld: slow', 'info'), 'warn');
    assert.equal(levelOf('2025-11-29 10:00:00,123 ERROR infilld: boom', 'info'), 'error');
    assert.equal(levelOf('2025-11-29 10:00:00,123 DEBUG infilld: x', 'info'), 'debug');
  });

  it('continues the previous level for other lines, and treats tracebacks as errors', () => {
    assert.equal(levelOf('  File "x.py", line 1', 'error'), 'error');
    assert.equal(levelOf('llama_model_loader: loaded meta data', 'info'), 'info');
    assert.equal(levelOf('Traceback (most recent call last):', 'info'), 'error');
  });
});

describe('LineTail', () => {
  it('keeps the last non-empty lines', () => {
    const tail = new LineTail(3);
    for (const l of ['a', 'b', '', 'c', 'd']) {
      tail.push(l);
    }
    assert.equal(tail.last(5), 'c\nd');
    assert.equal(tail.last(1), 'd');
  });
});
