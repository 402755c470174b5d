/**
 * What the status bar shows, as plain data: the server's `infilld/status` notifications, the
 * model-loading work-done progress and the extension's own view of the process (starting,
 * restarting, stopped) folded into one snapshot, and rendered to text and tooltip. No `vscode`
 * import, so the rendering rules are unit tested.
 */

export const SERVER_STATES = ['loading', 'ready', 'busy', 'error', 'disabled'] as const;
export type ServerState = (typeof SERVER_STATES)[number];
/** States only the extension knows: the process is not there to report them. */
export type ProcessState = 'starting' | 'restarting' | 'stopped' | 'off';
export type State = ServerState | ProcessState;

/** Params of the server's `infilld/status` notification. */
export interface ServerStatus {
  state: ServerState;
  message: string;
  model: string;
  lastLatencyMs?: number;
}

export interface StatusSnapshot {
  state: State;
  message: string;
  model: string;
  lastLatencyMs?: number;
  /** Model loading progress in percent, while loading. */
  progress?: number;
}

export type Severity = 'none' | 'warning' | 'error';

export interface RenderedStatus {
  text: string;
  tooltip: string;
  severity: Severity;
}

/** The notification's params, or undefined when they do not have the documented shape (a newer
 * or older server): better to ignore one update than to show garbage. */
export function parseServerStatus(params: unknown): ServerStatus | undefined {
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const p = params as Record<string, unknown>;
  if (typeof p.state !== 'string' || !(SERVER_STATES as readonly string[]).includes(p.state)) {
    return undefined;
  }
  const status: ServerStatus = {
    state: p.state as ServerState,
    message: typeof p.message === 'string' ? p.message : '',
    model: typeof p.model === 'string' ? p.model : '',
  };
  if (typeof p.lastLatencyMs === 'number' && Number.isFinite(p.lastLatencyMs)) {
    status.lastLatencyMs = p.lastLatencyMs;
  }
  return status;
}

/** Folds events into the current snapshot. */
export class StatusTracker {
  private snapshot: StatusSnapshot = { state: 'starting', message: '', model: '' };

  get current(): StatusSnapshot {
    return { ...this.snapshot };
  }

  onServerStatus(status: ServerStatus): void {
    const next: StatusSnapshot = {
      state: status.state,
      message: status.message,
      model: status.model || this.snapshot.model,
    };
    // "busy" and "ready" without a latency keep the last one: the user wants to see how fast the
    // last suggestion was, not have it blink away while the next one is computed.
    const latency = status.lastLatencyMs ?? this.snapshot.lastLatencyMs;
    if (latency !== undefined && status.state !== 'loading' && status.state !== 'error') {
      next.lastLatencyMs = latency;
    }
    if (status.state === 'loading' && this.snapshot.progress !== undefined) {
      next.progress = this.snapshot.progress;
    }
    this.snapshot = next;
  }

  /** Percentage from the model-load progress (`$/progress` report). */
  onLoadProgress(percentage: number | undefined, message: string | undefined): void {
    if (percentage !== undefined) {
      this.snapshot.progress = Math.max(0, Math.min(100, Math.round(percentage)));
    }
    if (message !== undefined && message !== '' && this.snapshot.state === 'loading') {
      this.snapshot.message = message;
    }
  }

  onLoadProgressEnd(): void {
    delete this.snapshot.progress;
  }

  onProcessState(state: ProcessState, message = ''): void {
    this.snapshot = { state, message, model: this.snapshot.model };
  }
}

function latencyText(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function renderStatus(s: StatusSnapshot): RenderedStatus {
  const model = s.model ? ` (${s.model})` : '';
  const detail = s.message ? `: ${s.message}` : '';
  switch (s.state) {
    case 'starting':
      return { text: '$(loading~spin) infilld', tooltip: `infilld: starting the server${detail}`, severity: 'none' };
    case 'loading': {
      const pct = s.progress !== undefined ? ` ${s.progress}%` : '';
      return {
        text: `$(loading~spin) infilld${pct}`,
        tooltip: `infilld: loading the model${model}${pct}${detail}`,
        severity: 'none',
      };
    }
    case 'ready': {
      const latency = s.lastLatencyMs !== undefined ? ` ${latencyText(s.lastLatencyMs)}` : '';
      const last = s.lastLatencyMs !== undefined ? `\nlast suggestion took ${latencyText(s.lastLatencyMs)}` : '';
      return { text: `$(sparkle) infilld${latency}`, tooltip: `infilld: ready${model}${last}`, severity: 'none' };
    }
    case 'busy':
      return { text: '$(sync~spin) infilld', tooltip: `infilld: working${model}${detail}`, severity: 'none' };
    case 'error':
      return { text: '$(error) infilld', tooltip: `infilld: error${detail}\nClick for options.`, severity: 'error' };
    case 'disabled':
      return {
        text: '$(circle-slash) infilld',
        tooltip: `infilld: inline completions are disabled${detail}`,
        severity: 'none',
      };
    case 'restarting':
      return { text: '$(debug-restart) infilld', tooltip: `infilld: the server stopped${detail}`, severity: 'warning' };
    case 'stopped':
      return { text: '$(error) infilld', tooltip: `infilld: the server is not running${detail}\nClick for options.`, severity: 'error' };
    case 'off':
      return { text: '$(circle-slash) infilld', tooltip: 'infilld is turned off (infilld.enable)', severity: 'none' };
  }
}

export type MenuAction =
  | 'toggleCompletions'
  | 'toggleServer'
  | 'selectModel'
  | 'showLogs'
  | 'restart'
  | 'openSettings';

export interface MenuEntry {
  action: MenuAction;
  label: string;
  description?: string;
}

/** The quick pick behind the status bar item; entries depend on the state so that the first one
 * is what the user most likely wants (e.g. "Show logs" right after an error). */
export function menuEntries(s: StatusSnapshot, completionsEnabled: boolean, serverEnabled: boolean): MenuEntry[] {
  const entries: MenuEntry[] = [];
  const logs: MenuEntry = { action: 'showLogs', label: '$(output) Show logs' };
  const broken = s.state === 'error' || s.state === 'stopped';
  if (broken) {
    entries.push(logs);
  }
  if (serverEnabled) {
    entries.push({
      action: 'toggleCompletions',
      label: completionsEnabled ? '$(circle-slash) Disable inline completions' : '$(check) Enable inline completions',
    });
  }
  entries.push({ action: 'selectModel', label: '$(library) Select model…', description: s.model || undefined });
  if (!broken) {
    entries.push(logs);
  }
  if (serverEnabled) {
    entries.push({ action: 'restart', label: '$(debug-restart) Restart server' });
  }
  entries.push({
    action: 'toggleServer',
    label: serverEnabled ? '$(debug-stop) Turn infilld off' : '$(play) Turn infilld on',
    description: serverEnabled ? 'stops the server and frees the model' : undefined,
  });
  entries.push({ action: 'openSettings', label: '$(gear) Open settings' });
  return entries;
}
