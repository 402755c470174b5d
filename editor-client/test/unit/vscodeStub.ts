/**
 * A stand-in for the `vscode` module in unit tests: the parts the extension and
 * vscode-languageclient touch, recording what the extension shows (messages, status bar items,
 * quick picks, commands) so tests can assert on it. Every other API is a no-op that returns a
 * disposable, so the language client can run its start-up against a real server process.
 */

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      l(value);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

const noEvent = (): Disposable => new Disposable();

export class CancellationError extends Error {}
export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(value: string): Uri {
    return value.startsWith('file://') ? new Uri('file', decodeURIComponent(value.slice(7))) : new Uri(value.split(':')[0], value);
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${this.fsPath}` : this.fsPath;
  }
  get path(): string {
    return this.fsPath;
  }
}
export class MarkdownString {
  constructor(public value = '') {}
}
export class InlineCompletionItem {
  constructor(
    public insertText: string,
    public range?: Range,
  ) {}
}
export class InlineCompletionList {
  constructor(public items: InlineCompletionItem[]) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}
export enum LogLevel {
  Off = 0,
  Trace = 1,
  Debug = 2,
  Info = 3,
  Warning = 4,
  Error = 5,
}
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export const version = '1.91.0';

// -- recorded state --------------------------------------------------------------------------------
export interface ShownMessage {
  kind: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
}

export interface StubStatusBarItem {
  id: string;
  text: string;
  tooltip: string | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  name: string | undefined;
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export interface LogLine {
  level: string;
  text: string;
}

export const recorded = {
  messages: [] as ShownMessage[],
  statusItems: [] as StubStatusBarItem[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { command: string; args: unknown[] }[],
  logs: [] as LogLine[],
  configUpdates: [] as { key: string; value: unknown; target: unknown }[],
  /** Answer for the next message shown (the button the "user" clicks). */
  answer: undefined as string | undefined,
  /** Answer for quick picks: picks the item whose label includes this text. */
  quickPickAnswer: undefined as string | undefined,
  quickPicks: [] as { label: string }[][],
};

/** Settings keyed by full key ("infilld.server.path"); `undefined` means unset. */
export const settingsStore = new Map<string, unknown>();
const configEmitter = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

export function resetStub(): void {
  recorded.messages.length = 0;
  recorded.statusItems.length = 0;
  recorded.commands.clear();
  recorded.executed.length = 0;
  recorded.logs.length = 0;
  recorded.configUpdates.length = 0;
  recorded.quickPicks.length = 0;
  recorded.answer = undefined;
  recorded.quickPickAnswer = undefined;
  settingsStore.clear();
}

/** Simulates the user editing settings.json. */
export function changeSetting(key: string, value: unknown): void {
  if (value === undefined) {
    settingsStore.delete(key);
  } else {
    settingsStore.set(key, value);
  }
  configEmitter.fire({ affectsConfiguration: (section) => key === section || key.startsWith(section + '.') });
}

function show(kind: ShownMessage['kind']) {
  return (message: string, ...rest: unknown[]): Promise<string | undefined> => {
    const items = rest.filter((r): r is string => typeof r === 'string');
    recorded.messages.push({ kind, message, items });
    const answer = recorded.answer;
    recorded.answer = undefined;
    return Promise.resolve(answer !== undefined && items.includes(answer) ? answer : undefined);
  };
}

function outputChannel(name: string) {
  const log = (level: string) => (text: string) => recorded.logs.push({ level, text: `[${name}] ${text}` });
  return {
    name,
    logLevel: LogLevel.Info,
    onDidChangeLogLevel: noEvent,
    append: log('append'),
    appendLine: log('info'),
    replace: log('replace'),
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: (e: string | Error) => recorded.logs.push({ level: 'error', text: `[${name}] ${e instanceof Error ? e.message : e}` }),
  };
}

function configuration(section?: string) {
  const full = (key: string) => (section ? `${section}.${key}` : key);
  return {
    get: (key: string, fallback?: unknown) => (settingsStore.has(full(key)) ? settingsStore.get(full(key)) : fallback),
    has: (key: string) => settingsStore.has(full(key)),
    inspect: (key: string) => ({ key: full(key), globalValue: settingsStore.get(full(key)) }),
    update: (key: string, value: unknown, target: unknown) => {
      recorded.configUpdates.push({ key: full(key), value, target });
      changeSetting(full(key), value);
      return Promise.resolve();
    },
  };
}

export const window = {
  showErrorMessage: show('error'),
  showWarningMessage: show('warning'),
  showInformationMessage: show('info'),
  createOutputChannel: (name: string) => outputChannel(name),
  createStatusBarItem: (id: string): StubStatusBarItem => {
    const item: StubStatusBarItem = {
      id,
      text: '',
      tooltip: undefined,
      command: undefined,
      backgroundColor: undefined,
      name: undefined,
      visible: false,
      show: () => {
        item.visible = true;
      },
      hide: () => {
        item.visible = false;
      },
      dispose: () => {
        item.visible = false;
      },
    };
    recorded.statusItems.push(item);
    return item;
  },
  showQuickPick: <T extends { label: string }>(items: T[]): Promise<T | undefined> => {
    recorded.quickPicks.push(items);
    const want = recorded.quickPickAnswer;
    return Promise.resolve(want === undefined ? undefined : items.find((i) => i.label.includes(want)));
  },
  withProgress: <R>(_options: unknown, task: (progress: { report(v: unknown): void }, token: unknown) => Thenable<R>): Thenable<R> =>
    task({ report: () => undefined }, new CancellationTokenSource().token),
  createTerminal: () => ({ show: () => undefined, sendText: () => undefined, dispose: () => undefined }),
  activeTextEditor: undefined,
  visibleTextEditors: [],
  tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
  onDidChangeActiveTextEditor: noEvent,
  onDidChangeVisibleTextEditors: noEvent,
  onDidChangeTextEditorSelection: noEvent,
  showTextDocument: () => Promise.resolve(undefined),
};

export const workspace = {
  getConfiguration: configuration,
  onDidChangeConfiguration: configEmitter.event,
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  textDocuments: [],
  notebookDocuments: [],
  onDidOpenTextDocument: noEvent,
  onDidCloseTextDocument: noEvent,
  onDidChangeTextDocument: noEvent,
  onDidSaveTextDocument: noEvent,
  onWillSaveTextDocument: noEvent,
  onDidChangeWorkspaceFolders: noEvent,
  onDidOpenNotebookDocument: noEvent,
  onDidCloseNotebookDocument: noEvent,
  onDidChangeNotebookDocument: noEvent,
  onDidSaveNotebookDocument: noEvent,
  onDidCreateFiles: noEvent,
  onDidRenameFiles: noEvent,
  onDidDeleteFiles: noEvent,
  onWillCreateFiles: noEvent,
  onWillRenameFiles: noEvent,
  onWillDeleteFiles: noEvent,
  createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose: () => undefined }),
  applyEdit: () => Promise.resolve(true),
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown): Disposable => {
    recorded.commands.set(id, fn);
    return new Disposable(() => recorded.commands.delete(id));
  },
  executeCommand: async (id: string, ...args: unknown[]): Promise<unknown> => {
    recorded.executed.push({ command: id, args });
    const fn = recorded.commands.get(id);
    return fn ? fn(...args) : undefined;
  },
};

/** languages.*: every register* call returns a disposable; `registered` records which. */
export const registeredProviders: string[] = [];
export const languages = new Proxy(
  {
    match: () => 10,
    createDiagnosticCollection: () => ({
      set: () => undefined,
      delete: () => undefined,
      clear: () => undefined,
      dispose: () => undefined,
      forEach: () => undefined,
    }),
    onDidChangeDiagnostics: noEvent,
  } as Record<string, unknown>,
  {
    get(target, prop: string) {
      if (prop in target) {
        return target[prop];
      }
      if (prop.startsWith('register')) {
        return () => {
          registeredProviders.push(prop);
          return new Disposable();
        };
      }
      return undefined;
    },
  },
);

export const env = { appName: 'stub', language: 'en', machineId: 'stub', openExternal: () => Promise.resolve(true) };
export const extensions = { getExtension: () => undefined, all: [] };

// Classes vscode-languageclient extends at load time; their behaviour does not matter here.
class Plain {
  constructor(...args: unknown[]) {
    Object.assign(this, { args });
  }
}
export class CallHierarchyItem extends Plain {}
export class CodeLens extends Plain {}
export class CompletionItem extends Plain {}
export class DocumentLink extends Plain {}
export class InlayHint extends Plain {}
export class SymbolInformation extends Plain {}
export class TypeHierarchyItem extends Plain {}
export class CodeAction extends Plain {}
export class Diagnostic extends Plain {}

export class CodeActionKind {
  private constructor(readonly value: string) {}
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly RefactorExtract = new CodeActionKind('refactor.extract');
  static readonly RefactorInline = new CodeActionKind('refactor.inline');
  static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
  static readonly Source = new CodeActionKind('source');
  static readonly SourceOrganizeImports = new CodeActionKind('source.organizeImports');
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
}
export const CodeActionTriggerKind = { Invoke: 1, Automatic: 2 };
export const InlineCompletionTriggerKind = { Invoke: 0, Automatic: 1 };
export const CompletionItemKind = { Text: 0 };
export const CompletionTriggerKind = { Invoke: 0, TriggerCharacter: 1, TriggerForIncompleteCompletions: 2 };
export const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 };
export const TextDocumentSaveReason = { Manual: 1, AfterDelay: 2, FocusOut: 3 };
