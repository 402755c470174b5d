/**
 * Tells the server where the cursor came to rest when it moved without an edit (a click, a jump
 * to a definition, paging), as the `infilld/cursor` notification. The server prefills the prompt
 * there, and moves its repository context to that part of the file, while the user reads, so
 * the first suggestion after the move costs no prompt evaluation.
 *
 * Plain logic with an injected clock, so it is tested without VS Code. Moves caused by typing
 * are reported too (VS Code gives no reliable way to tell them apart); the server ignores a
 * cursor that sits where its last edit or request left it.
 */

export const CURSOR_NOTIFICATION = 'infilld/cursor';

export interface CursorParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Schemes of documents the language client synchronises with the server. */
const SYNCED_SCHEMES = new Set(['file', 'untitled']);

export class CursorReporter {
  private pending: unknown;
  private last = '';

  /** `restMs`: how long the cursor must stay put before it is reported. */
  constructor(
    private readonly send: (params: CursorParams) => void,
    private readonly restMs = 400,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A selection change: `empty` is false for a range selection or several cursors (not reported). */
  onSelection(uri: string, scheme: string, line: number, character: number, empty: boolean): void {
    this.cancel();
    const key = `${uri}:${line}:${character}`;
    if (key !== this.last) {
      this.last = ''; // the cursor left the spot last reported: coming back is news again
    }
    if (!empty || !SYNCED_SCHEMES.has(scheme)) {
      return;
    }
    this.pending = this.timers.set(() => {
      this.pending = undefined;
      if (key !== this.last) {
        this.last = key;
        this.send({ textDocument: { uri }, position: { line, character } });
      }
    }, this.restMs);
  }

  cancel(): void {
    if (this.pending !== undefined) {
      this.timers.clear(this.pending);
      this.pending = undefined;
    }
  }

  dispose(): void {
    this.cancel();
  }
}
