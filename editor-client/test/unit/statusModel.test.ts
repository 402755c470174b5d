import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { menuEntries, parseServerStatus, renderStatus, StatusTracker } from '../../src/statusModel';

describe('parseServerStatus', () => {
  it('accepts the documented shape', () => {
    assert.deepEqual(parseServerStatus({ state: 'ready', message: 'ok', model: 'm', lastLatencyMs: 120.5 }), {
      state: 'ready',
      message: 'ok',
      model: 'm',
      lastLatencyMs: 120.5,
    });
  });

  it('rejects unknown states and non-objects', () => {
    assert.equal(parseServerStatus({ state: 'sleeping' }), undefined);
    assert.equal(parseServerStatus(null), undefined);
    assert.equal(parseServerStatus('ready'), undefined);
  });
});

describe('StatusTracker + renderStatus', () => {
  it('shows loading progress in percent, then ready with the last latency', () => {
    const t = new StatusTracker();
    t.onServerStatus({ state: 'loading', message: 'loading m', model: 'm' });
    t.onLoadProgress(41.6, 'reading weights');
    let view = renderStatus(t.current);
    assert.equal(view.text, '$(loading~spin) infilld 42%');
    assert.match(view.tooltip, /loading the model \(m\) 42%: reading weights/);
    t.onLoadProgressEnd();
    t.onServerStatus({ state: 'ready', message: '', model: 'm' });
    assert.equal(renderStatus(t.current).text, '$(sparkle) infilld');
    t.onServerStatus({ state: 'busy', message: '', model: 'm' });
    t.onServerStatus({ state: 'ready', message: '', model: 'm', lastLatencyMs: 1234 });
    view = renderStatus(t.current);
    assert.equal(view.text, '$(sparkle) infilld 1.2 s');
    assert.match(view.tooltip, /last suggestion took 1\.2 s/);
    // A later "ready" without a latency keeps the last one.
    t.onServerStatus({ state: 'ready', message: '', model: 'm' });
    assert.equal(renderStatus(t.current).text, '$(sparkle) infilld 1.2 s');
  });

  it('marks errors and stopped processes as errors, with the reason in the tooltip', () => {
    const t = new StatusTracker();
    t.onServerStatus({ state: 'error', message: 'model file missing', model: 'm' });
    const view = renderStatus(t.current);
    assert.equal(view.severity, 'error');
    assert.match(view.tooltip, /model file missing/);
    t.onProcessState('stopped', 'the server failed to start');
    assert.equal(renderStatus(t.current).severity, 'error');
    t.onProcessState('restarting', 'restarting in 2 s');
    assert.equal(renderStatus(t.current).severity, 'warning');
  });

  it('keeps the model name across process states', () => {
    const t = new StatusTracker();
    t.onServerStatus({ state: 'ready', message: '', model: 'qwen' });
    t.onProcessState('restarting');
    assert.equal(t.current.model, 'qwen');
  });
});

describe('menuEntries', () => {
  it('puts "Show logs" first after an error', () => {
    const entries = menuEntries({ state: 'error', message: 'x', model: 'm' }, true, true);
    assert.equal(entries[0].action, 'showLogs');
  });

  it('offers the toggles that match the current settings', () => {
    const on = menuEntries({ state: 'ready', message: '', model: 'm' }, true, true).map((e) => e.label);
    assert.ok(on.some((l) => l.includes('Disable inline completions')));
    assert.ok(on.some((l) => l.includes('Turn infilld off')));
    assert.ok(on.some((l) => l.includes('Restart server')));
    const off = menuEntries({ state: 'off', message: '', model: '' }, true, false).map((e) => e.label);
    assert.ok(off.some((l) => l.includes('Turn infilld on')));
    assert.ok(!off.some((l) => l.includes('Restart server')));
    const disabled = menuEntries({ state: 'disabled', message: '', model: 'm' }, false, true).map((e) => e.label);
    assert.ok(disabled.some((l) => l.includes('Enable inline completions')));
  });
});
