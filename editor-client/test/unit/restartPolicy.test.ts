import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../../src/restartPolicy';

const options = { baseDelayMs: 1000, maxDelayMs: 5000, maxCrashes: 4, healthyAfterMs: 60_000 };

describe('RestartPolicy', () => {
  it('does not retry a crash during start-up', () => {
    const policy = new RestartPolicy(options);
    assert.deepEqual(policy.onUnexpectedExit({ uptimeMs: 200, initialized: false }), {
      restart: false,
      reason: 'crashed-at-start',
    });
  });

  it('backs off exponentially up to the cap, then gives up', () => {
    const policy = new RestartPolicy(options);
    const delays = [1, 2, 3, 4].map(() => {
      const d = policy.onUnexpectedExit({ uptimeMs: 1000, initialized: true });
      return d.restart ? d.delayMs : -1;
    });
    assert.deepEqual(delays, [1000, 2000, 4000, 5000]);
    assert.deepEqual(policy.onUnexpectedExit({ uptimeMs: 1000, initialized: true }), { restart: false, reason: 'crash-loop' });
  });

  it('forgets old crashes after a healthy run or a reset', () => {
    const policy = new RestartPolicy(options);
    policy.onUnexpectedExit({ uptimeMs: 10, initialized: true });
    policy.onUnexpectedExit({ uptimeMs: 10, initialized: true });
    const healthy = policy.onUnexpectedExit({ uptimeMs: 120_000, initialized: true });
    assert.deepEqual(healthy, { restart: true, delayMs: 1000, attempt: 1 });
    policy.onUnexpectedExit({ uptimeMs: 10, initialized: true });
    policy.reset();
    assert.deepEqual(policy.onUnexpectedExit({ uptimeMs: 10, initialized: true }), { restart: true, delayMs: 1000, attempt: 1 });
  });
});
