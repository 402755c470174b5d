/**
 * Test helper: runs `infilld serve` and talks to it through vscode-languageclient's protocol layer
 * (vscode-languageserver-protocol / vscode-jsonrpc over stdio), recording the notifications the
 * extension depends on (`infilld/status`, `$/progress`, `window/showMessage`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  ShowMessageNotification,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ProtocolConnection,
  type ShowMessageParams,
  type ClientCapabilities,
} from 'vscode-languageserver-protocol/node';

export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const infilldBinary = process.env.INFILLD_BIN ?? path.join(repoRoot, '.venv', 'bin', 'infilld');
export const serverMissing: string | false = existsSync(infilldBinary) ? false : `no infilld binary at ${infilldBinary} (set INFILLD_BIN)`;

export interface StatusParams {
  state: string;
  message: string;
  model: string;
  lastLatencyMs?: number;
}

/** The capabilities VS Code declares for the features infilld uses. */
export const vscodeLikeCapabilities: ClientCapabilities = {
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: true } } },
  workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, workspaceEdit: { documentChanges: true }, applyEdit: true },
  textDocument: {
    synchronization: { didSave: true, dynamicRegistration: true },
    inlineCompletion: { dynamicRegistration: true },
    completion: { completionItem: { snippetSupport: true } },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'refactor.rewrite'] } },
    },
  },
  general: { positionEncodings: ['utf-16'] },
};

export class ServerProcess {
  readonly connection: ProtocolConnection;
  readonly statuses: StatusParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  readonly progress: { token: string | number; value: unknown }[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(infilldBinary, ['serve', ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onNotification('infilld/status', (params: StatusParams) => {
      this.statuses.push(params);
    });
    this.connection.onNotification(ShowMessageNotification.type, (params) => {
      this.messages.push(params);
    });
    this.connection.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.connection.onProgress(WorkDoneProgress.type, token, (value) => {
        this.progress.push({ token, value });
      });
    });
    this.connection.listen();
  }

  /** Resolves when a status notification matches; rejects with the server log on timeout. */
  async waitForStatus(state: string, timeoutMs: number, after = 0): Promise<StatusParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.statuses.slice(after).find((s) => s.state === state);
      if (found !== undefined) {
        return found;
      }
      if (Date.now() > deadline) {
        throw new Error(`no infilld/status "${state}" within ${timeoutMs} ms; statuses: ${JSON.stringify(this.statuses)}\n${this.log()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  log(): string {
    return this.stderr.join('').split('\n').slice(-20).join('\n');
  }

  kill(): void {
    this.connection.dispose();
    this.child.kill('SIGKILL');
  }
}
