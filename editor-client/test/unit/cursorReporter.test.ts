import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CursorReporter, type CursorParams, type Timers } from '../../src/cursorReporter';

/** A manual clock: `advance(ms)` runs the timers that are due. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let next = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    set: (fn, ms) => {
      next += 1;
      due.set(next, { at: now + ms, fn });
      return next;
    },
    clear: (handle) => {
      due.delete(handle as number);
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...due.entries()].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          due.delete(id);
          t.fn();
        }
      }
    },
  };
}

describe('CursorReporter', () => {
  it('reports a cursor once it has rested, and only the last of a run of moves', () => {
    const sent: CursorParams[] = [];
    const timers = manualTimers();
    const reporter = new CursorReporter((p) => sent.push(p), 400, timers);
    reporter.onSelection('file:///a.py', 'file', 3, 0, true);
    timers.advance(200);
    reporter.onSelection('file:///a.py', 'file', 40, 4, true);
    timers.advance(399);
    assert.equal(sent.length, 0);
    timers.advance(1);
    assert.deepEqual(sent, [{ textDocument: { uri: 'file:///a.py' }, position: { line: 40, character: 4 } }]);
  });

  it('does not repeat a position, and ignores ranges, other schemes and a disposed reporter', () => {
    const sent: CursorParams[] = [];
    const timers = manualTimers();
    const reporter = new CursorReporter((p) => sent.push(p), 400, timers);
    reporter.onSelection('file:///a.py', 'file', 40, 4, true);
    timers.advance(400);
    reporter.onSelection('file:///a.py', 'file', 40, 4, true);
    timers.advance(400);
    reporter.onSelection('file:///a.py', 'file', 41, 0, false); // a range selection
    reporter.onSelection('output:///log', 'output', 1, 0, true); // not synchronised with the server
    timers.advance(400);
    assert.equal(sent.length, 1);
    // Back to the reported spot after the cursor was elsewhere: reported again.
    reporter.onSelection('file:///a.py', 'file', 40, 4, true);
    timers.advance(400);
    assert.equal(sent.length, 2);
    reporter.onSelection('untitled:Untitled-1', 'untitled', 2, 1, true);
    reporter.dispose();
    timers.advance(400);
    assert.equal(sent.length, 2);
  });
});
