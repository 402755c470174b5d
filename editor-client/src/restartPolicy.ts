/**
 * When to restart a server process that exited on its own. A crash while starting (before the
 * server answered `initialize`) is almost always deterministic (a broken install, a bad argument),
 * so it is reported at once instead of retried. A crash after a working session is retried with
 * exponential backoff; a process that keeps dying soon after each restart is given up on, with an
 * error, rather than restarted forever behind a spinner.
 */

export interface RestartOptions {
  /** First delay; doubled for each consecutive crash. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Consecutive crashes after which the policy gives up. */
  maxCrashes: number;
  /** A process that ran at least this long resets the crash count. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART: RestartOptions = {
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  healthyAfterMs: 120_000,
};

export interface ExitInfo {
  /** Milliseconds the process ran. */
  uptimeMs: number;
  /** Whether it finished `initialize` (a working session) before it exited. */
  initialized: boolean;
}

export type RestartDecision =
  | { restart: true; delayMs: number; attempt: number }
  | { restart: false; reason: 'crashed-at-start' | 'crash-loop' };

export class RestartPolicy {
  private crashes = 0;

  constructor(private readonly options: RestartOptions = DEFAULT_RESTART) {}

  /** Decide what to do about a process that exited without being asked to. */
  onUnexpectedExit(exit: ExitInfo): RestartDecision {
    if (!exit.initialized) {
      return { restart: false, reason: 'crashed-at-start' };
    }
    if (exit.uptimeMs >= this.options.healthyAfterMs) {
      this.crashes = 0;
    }
    this.crashes += 1;
    if (this.crashes > this.options.maxCrashes) {
      return { restart: false, reason: 'crash-loop' };
    }
    const delayMs = Math.min(this.options.baseDelayMs * 2 ** (this.crashes - 1), this.options.maxDelayMs);
    return { restart: true, delayMs, attempt: this.crashes };
  }

  /** A deliberate (re)start by the user starts counting afresh. */
  reset(): void {
    this.crashes = 0;
  }
}
