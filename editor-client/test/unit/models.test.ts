import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeModel, formatSize, parseModelList } from '../../src/models';

const sample = JSON.stringify([
  {
    name: 'qwen2.5-coder-0.5b-instruct-q4_k_m',
    file: 'q.gguf',
    params: '0.5B',
    variant: 'instruct',
    size: 491400064,
    present: true,
    verified: true,
    path: '/cache/q.gguf',
    default: true,
  },
  { name: 'big', file: 'b.gguf', params: '1.5B', variant: 'instruct', size: 1120000000, present: false, verified: false, path: '' },
  { file: 'nameless.gguf' },
]);

describe('parseModelList', () => {
  it('keeps entries with a name and reads their fields', () => {
    const models = parseModelList(sample);
    assert.deepEqual(
      models.map((m) => [m.name, m.present, m.size]),
      [
        ['qwen2.5-coder-0.5b-instruct-q4_k_m', true, 491400064],
        ['big', false, 1120000000],
      ],
    );
  });

  it('explains output that is not a JSON array', () => {
    assert.throws(() => parseModelList('Traceback (most recent call last)'), /not JSON: Traceback/);
    assert.throws(() => parseModelList('{}'), /did not print a JSON array/);
  });
});

describe('describeModel', () => {
  it('tells how to get a model that is missing', () => {
    const [present, missing] = parseModelList(sample);
    assert.equal(describeModel(present).description, '0.5B · instruct · 491 MB');
    assert.match(describeModel(present).detail, /downloaded and verified/);
    assert.equal(describeModel(missing).detail, 'not downloaded (run: infilld models pull big)');
    assert.equal(formatSize(1120000000), '1.12 GB');
  });
});
