/**
 * Owns the `infilld serve` process and the language client talking to it: finds the binary,
 * starts it, restarts it with backoff when it dies, and turns every way of failing (binary
 * missing, crash at start, crash loop) into an error the user sees with a way out ("Show logs",
 * "Open settings") instead of a spinner that never ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  Trace,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ProgressToken,
  type WorkDoneProgressBegin,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import { findServerBinary, type BinaryLookup } from './binary';
import { CURSOR_NOTIFICATION, type CursorParams } from './cursorReporter';
import { levelOf, LineTail, type LogLevel } from './logLines';
import { RestartPolicy } from './restartPolicy';
import type { ClientSettings, JsonObject } from './settings';
import { parseServerStatus, type ProcessState, type ServerStatus } from './statusModel';

export const STATUS_NOTIFICATION = 'infilld/status';
/** The server names the model-loading progress token with this prefix. */
const LOAD_TOKEN_PREFIX = 'infilld-load-';

export interface ServerEvents {
  onServerStatus(status: ServerStatus): void;
  onProcessState(state: ProcessState, message?: string): void;
  onLoadProgress(percentage: number | undefined, message: string | undefined): void;
  onLoadProgressEnd(): void;
  /** A failure the user must see; `actions` are the buttons offered. */
  showError(message: string, actions: ErrorButton[]): void;
}

/** Buttons offered with an error; the extension maps them to commands. */
export type ErrorButton = 'Show logs' | 'Open settings' | 'Restart';

export interface ServerConfig {
  client: ClientSettings;
  server: JsonObject;
}

const executableProbe = {
  isExecutable(file: string): boolean {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
};

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private process: ChildProcess | undefined;
  private startedAt = 0;
  private initialized = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly policy = new RestartPolicy();
  private readonly stderrTail = new LineTail(40);
  private config: ServerConfig | undefined;
  private binary: string | undefined;
  /** Bumped by every start and stop; callbacks of an older client compare it and stand down, so
   * a process we stop on purpose is never taken for a crash. */
  private generation = 0;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly trace: vscode.LogOutputChannel,
    private readonly events: ServerEvents,
  ) {}

  /** The binary found by the last start attempt (the model picker runs it too). */
  get serverBinary(): string | undefined {
    return this.binary;
  }

  /** The server process id, while one runs. */
  get pid(): number | undefined {
    return this.process?.exitCode === null && this.process.signalCode === null ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  resolveBinary(client: ClientSettings): BinaryLookup {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return findServerBinary(
      {
        settingPath: client.serverPath,
        extensionPath: this.extensionPath,
        workspaceFolder: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
        homeDir: os.homedir(),
        pathEnv: process.env.PATH ?? '',
        platform: process.platform,
      },
      executableProbe,
    );
  }

  /** Start with `config` (stopping a running server first). A user-requested start resets the
   * crash count. */
  async start(config: ServerConfig): Promise<void> {
    this.cancelRestart();
    this.policy.reset();
    await this.stop();
    await this.launch(config);
  }

  private async launch(config: ServerConfig): Promise<void> {
    this.config = config;
    const generation = ++this.generation;
    const found = this.resolveBinary(config.client);
    if (!found.ok) {
      this.log.error(found.message);
      this.events.onProcessState('stopped', 'the infilld executable was not found');
      this.events.showError(found.message, ['Open settings', 'Show logs']);
      return;
    }
    this.binary = found.command;
    const args = ['serve', ...config.client.serverArgs];
    this.log.info(`starting ${found.command} ${args.join(' ')} (found via ${found.source})`);
    this.events.onProcessState('starting');
    this.initialized = false;
    this.stderrTail.clear();

    const client = new LanguageClient(
      'infilld',
      'infilld',
      () => Promise.resolve(this.spawnServer(found.command, args)),
      this.clientOptions(config.server, generation),
    );
    this.client = client;
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const status = parseServerStatus(params);
      if (status === undefined) {
        this.log.warn(`ignoring an infilld/status notification of unexpected shape: ${JSON.stringify(params)}`);
        return;
      }
      this.events.onServerStatus(status);
    });
    try {
      await client.start();
    } catch (error) {
      if (generation !== this.generation) {
        return; // superseded by a later start or stop
      }
      this.handleStartFailure(error);
      return;
    }
    if (generation !== this.generation) {
      return;
    }
    this.initialized = true;
    this.events.onProcessState('starting', 'waiting for the model');
    // Replaces the language client's own progress handler (registered while it started), so the
    // model-loading percentage reaches the status bar. The server only asks after `initialized`,
    // which is answered through I/O, so this runs before its request is read.
    client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => this.trackProgress(client, token));
    await client.setTrace(Trace.fromString(config.client.trace));
  }

  private clientOptions(server: JsonObject, generation: number): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      // Problems are announced with a message and the status bar; opening the log on every
      // warning would steal focus while typing.
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: server,
      errorHandler: {
        error: (error, _message, count): ErrorHandlerResult => {
          this.log.error(`connection error: ${error.message}`);
          // A few read/write errors can be transient; many mean the pipe is gone.
          return { action: (count ?? 1) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
        },
        closed: (): CloseHandlerResult => {
          // Restarts are decided here (RestartPolicy), not by the client's fixed 5-in-3-minutes rule.
          queueMicrotask(() => this.onClosed(generation));
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        // The server's textDocument/completion is a fallback for editors without inline
        // completion. VS Code has inline completion, and the same suggestion in the suggest widget
        // would double the model's work on every keystroke, so it is not asked here.
        provideCompletionItem: () => undefined,
      },
      stdioOptions: {
        stdout: () => undefined, // stdout carries JSON-RPC; the client reads it itself
        stderr: (input, channel) => this.pipeStderr(input, channel),
      },
    };
  }

  private pipeStderr(input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel): void {
    let level: LogLevel = 'info';
    let buffered = '';
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        level = levelOf(line, level);
        this.stderrTail.push(line);
        channel[level](line);
      }
    });
  }

  private spawnServer(command: string, args: string[]): ChildProcess {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const cwd = folder?.uri.scheme === 'file' ? folder.uri.fsPath : os.homedir();
    const child = spawn(command, args, { cwd, env: process.env, stdio: 'pipe' });
    this.process = child;
    this.startedAt = Date.now();
    child.on('error', (error) => {
      this.stderrTail.push(`could not run ${command}: ${error.message}`);
      this.log.error(`could not run ${command}: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      this.log.info(`server process ${child.pid ?? '?'} ended (${how})`);
      this.stderrTail.push(`[process ended: ${how}]`);
    });
    return child;
  }

  private handleStartFailure(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const tail = this.stderrTail.last(6);
    this.log.error(`the server failed to start: ${reason}`);
    this.events.onProcessState('stopped', 'the server failed to start');
    this.events.showError(
      `infilld failed to start (${this.binary ?? 'infilld'}): ${reason}${tail ? `\n${tail}` : ''}`,
      ['Show logs', 'Open settings', 'Restart'],
    );
    this.disposeClient();
  }

  private onClosed(generation: number): void {
    if (generation !== this.generation || this.config === undefined) {
      return;
    }
    if (!this.initialized) {
      return; // start() rejects too and handleStartFailure reports it
    }
    const uptimeMs = Date.now() - this.startedAt;
    const decision = this.policy.onUnexpectedExit({ uptimeMs, initialized: this.initialized });
    const tail = this.stderrTail.last(6);
    const config = this.config;
    this.disposeClient();
    if (decision.restart) {
      const seconds = Math.round(decision.delayMs / 1000);
      this.log.warn(`the server stopped unexpectedly; restart ${decision.attempt} in ${seconds} s`);
      this.events.onProcessState('restarting', `restarting in ${seconds} s (attempt ${decision.attempt})`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        void this.launch(config);
      }, decision.delayMs);
      return;
    }
    this.log.error('the server keeps crashing; not restarting it');
    this.events.onProcessState('stopped', 'the server keeps crashing');
    this.events.showError(
      `infilld stopped: the server crashed repeatedly soon after each restart and is not restarted again.${tail ? `\n${tail}` : ''}`,
      ['Show logs', 'Restart', 'Open settings'],
    );
  }

  private trackProgress(client: LanguageClient, token: ProgressToken): void {
    const isLoad = typeof token === 'string' && token.startsWith(LOAD_TOKEN_PREFIX);
    let finish: (() => void) | undefined;
    let report: ((value: WorkDoneProgressBegin | WorkDoneProgressReport) => void) | undefined;
    const handler = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'end') {
        if (isLoad) {
          this.events.onLoadProgressEnd();
        }
        finish?.();
        handler.dispose();
        return;
      }
      if (isLoad) {
        this.events.onLoadProgress(value.percentage, value.message);
      }
      if (value.kind === 'begin') {
        // Loading shows in the status bar item; other work (a "Fix this" edit being computed)
        // gets a notification with a Cancel button, which cancels the model's generation.
        const location = isLoad ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
        void vscode.window.withProgress(
          { location, title: value.title, cancellable: value.cancellable === true },
          (progress, cancel) =>
            new Promise<void>((resolve) => {
              finish = resolve;
              let reported = 0;
              report = (v) => {
                const pct = v.percentage;
                const increment = pct !== undefined ? Math.max(0, pct - reported) : undefined;
                if (pct !== undefined) {
                  reported = Math.max(reported, pct);
                }
                progress.report({ message: v.message, increment });
              };
              report(value);
              cancel.onCancellationRequested(() => {
                void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
              });
            }),
        );
        return;
      }
      report?.(value);
    });
  }

  /** Send `infilld/cursor` while the server runs (dropped otherwise: it is only a hint). */
  notifyCursor(params: CursorParams): void {
    const client = this.client;
    if (client !== undefined && client.isRunning()) {
      client.sendNotification(CURSOR_NOTIFICATION, params).catch((error: unknown) => {
        this.log.debug(`could not send ${CURSOR_NOTIFICATION}: ${String(error)}`);
      });
    }
  }

  /** Push changed server settings without restarting. */
  async updateSettings(config: ServerConfig): Promise<void> {
    this.config = config;
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      return;
    }
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { infilld: config.server } });
    await client.setTrace(Trace.fromString(config.client.trace));
  }

  private cancelRestart(): void {
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
  }

  private disposeClient(): void {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      void client.dispose(1000).catch(() => undefined);
    }
  }

  /** Shut the server down (LSP shutdown/exit), killing it if it does not exit in time. */
  async stop(): Promise<void> {
    this.cancelRestart();
    this.generation++;
    const client = this.client;
    const child = this.process;
    this.client = undefined;
    this.process = undefined;
    if (client === undefined) {
      return;
    }
    try {
      if (client.needsStop()) {
        await client.stop(3000);
      }
    } catch (error) {
      this.log.warn(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill();
      }
    }
  }

  dispose(): void {
    void this.stop();
  }
}
