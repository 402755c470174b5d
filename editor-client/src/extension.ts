/**
 * Activation: wires settings, the server process, the status bar and the commands together.
 * Inline completions, code actions ("Fix this", resolved lazily) and the server's
 * `infilld.applyFix` command are registered by vscode-languageclient from the server's
 * capabilities; nothing here re-implements them.
 */
import * as vscode from 'vscode';
import packageJson from '../package.json';
import { vscodeConfigurationReader, writeSetting } from './configWriter';
import { CursorReporter } from './cursorReporter';
import { pickModel } from './modelPicker';
import { ServerManager, type ErrorButton, type ServerConfig } from './server';
import { needsRestart, readSettings, type ReadSettings, type SettingsSchema } from './settings';
import { MENU_COMMAND, StatusBar } from './status';
import type { StatusSnapshot } from './statusModel';

/** Kept for deactivate(), which VS Code awaits (it does not await disposables). */
let activeManager: ServerManager | undefined;

const SCHEMA = packageJson.contributes.configuration.properties as SettingsSchema;

function currentSettings(): ReadSettings {
  return readSettings(vscodeConfigurationReader(), SCHEMA);
}

function toConfig(settings: ReadSettings): ServerConfig {
  return { client: settings.client, server: settings.server };
}

/** What activate() returns: read-only views for tests and for other extensions that want to show
 * infilld's state. */
export interface InfilldApi {
  status(): StatusSnapshot;
  serverPid(): number | undefined;
}

export function activate(context: vscode.ExtensionContext): InfilldApi {
  const log = vscode.window.createOutputChannel('infilld', { log: true });
  const trace = vscode.window.createOutputChannel('infilld (trace)', { log: true });
  const status = new StatusBar();
  context.subscriptions.push(log, trace, status);

  const openSettings = (): Thenable<unknown> =>
    vscode.commands.executeCommand('workbench.action.openSettings', '@ext:infilld.infilld');

  const showError = (message: string, buttons: ErrorButton[]): void => {
    void vscode.window.showErrorMessage(message, ...buttons).then((choice) => {
      if (choice === 'Show logs') {
        log.show(true);
      } else if (choice === 'Open settings') {
        void openSettings();
      } else if (choice === 'Restart') {
        void vscode.commands.executeCommand('infilld.restart');
      }
    });
  };

  // Each distinct set of invalid values is announced once; the log keeps every occurrence.
  let announcedProblems = '';
  const reportProblems = (problems: string[]): void => {
    for (const problem of problems) {
      log.warn(`invalid setting: ${problem}`);
    }
    const key = problems.join('\n');
    if (problems.length > 0 && key !== announcedProblems) {
      const first = problems[0];
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more, see the log)` : '';
      void vscode.window.showWarningMessage(`infilld: invalid setting ${first}${more}`, 'Open settings', 'Show logs').then((choice) => {
        if (choice === 'Open settings') {
          void openSettings();
        } else if (choice === 'Show logs') {
          log.show(true);
        }
      });
    }
    announcedProblems = key;
  };

  const manager = new ServerManager(context.extensionPath, log, trace, {
    onServerStatus: (s) => status.onServerStatus(s),
    onProcessState: (state, message) => status.onProcessState(state, message),
    onLoadProgress: (pct, message) => status.onLoadProgress(pct, message),
    onLoadProgressEnd: () => status.onLoadProgressEnd(),
    showError,
  });
  context.subscriptions.push(manager);
  activeManager = manager;

  let settings = currentSettings();
  reportProblems(settings.problems);

  // Where the cursor comes to rest, so the server can prepare that spot while the user reads:
  // after a move, and in an editor that just became active (opening a file moves no selection).
  const cursor = new CursorReporter((params) => manager.notifyCursor(params));
  const report = (editor: vscode.TextEditor, selections: readonly vscode.Selection[]): void => {
    const active = selections[0];
    const uri = editor.document.uri;
    if (active !== undefined) {
      const single = selections.length === 1 && active.isEmpty;
      cursor.onSelection(uri.toString(), uri.scheme, active.active.line, active.active.character, single);
    }
  };
  context.subscriptions.push(
    cursor,
    vscode.window.onDidChangeTextEditorSelection((event) => report(event.textEditor, event.selections)),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor !== undefined) {
        report(editor, editor.selections);
      }
    }),
  );

  const startOrStop = async (): Promise<void> => {
    if (settings.client.enable) {
      await manager.start(toConfig(settings));
    } else {
      await manager.stop();
      status.onProcessState('off');
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(MENU_COMMAND, async () => {
      const action = await status.pickAction(completionEnabled(settings), settings.client.enable);
      if (action !== undefined) {
        await vscode.commands.executeCommand(`infilld.${action}`);
      }
    }),
    vscode.commands.registerCommand('infilld.restart', async () => {
      if (!settings.client.enable) {
        void vscode.window.showInformationMessage('infilld is turned off (infilld.enable); turn it on first.');
        return;
      }
      log.info('restart requested');
      await manager.start(toConfig(settings));
    }),
    vscode.commands.registerCommand('infilld.showLogs', () => log.show(true)),
    vscode.commands.registerCommand('infilld.openSettings', () => openSettings()),
    vscode.commands.registerCommand('infilld.toggleCompletions', () =>
      writeSetting('completion.enable', !completionEnabled(settings)),
    ),
    vscode.commands.registerCommand('infilld.toggleServer', () => writeSetting('enable', !settings.client.enable)),
    vscode.commands.registerCommand('infilld.selectModel', async () => {
      const found = manager.resolveBinary(settings.client);
      if (!found.ok) {
        showError(found.message, ['Open settings']);
        return;
      }
      const model = vscode.workspace.getConfiguration('infilld').get<string>('model.name') ?? '';
      await pickModel(found.command, model);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('infilld')) {
        return;
      }
      const before = settings;
      settings = currentSettings();
      reportProblems(settings.problems);
      if (before.client.enable !== settings.client.enable || (settings.client.enable && needsRestart(before.client, settings.client))) {
        await startOrStop();
      } else if (settings.client.enable) {
        // The server merges these over its defaults and reloads the model only if its settings
        // changed, so no restart is needed.
        await manager.updateSettings(toConfig(settings));
      }
    }),
  );

  if (settings.client.enable) {
    void manager.start(toConfig(settings));
  } else {
    status.onProcessState('off');
  }
  return { status: () => status.tracker.current, serverPid: () => manager.pid };
}

function completionEnabled(settings: ReadSettings): boolean {
  const completion = settings.server.completion;
  if (typeof completion === 'object' && completion !== null && !Array.isArray(completion)) {
    return completion.enable !== false;
  }
  return true;
}

export function deactivate(): Promise<void> | undefined {
  // Sends shutdown/exit so the server frees the model, and kills it if it does not exit in time.
  const manager = activeManager;
  activeManager = undefined;
  return manager?.stop();
}
