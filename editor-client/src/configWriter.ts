/**
 * Writes an `infilld.*` setting where it takes effect: a workspace (folder) value shadows the
 * global one, so a toggle written to the user settings would silently do nothing there.
 */
import * as vscode from 'vscode';

export async function writeSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration('infilld');
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}

/** `ConfigurationReader` over VS Code's configuration (see settings.ts). */
export function vscodeConfigurationReader(): { get(key: string): unknown; isSet(key: string): boolean } {
  const config = vscode.workspace.getConfiguration();
  return {
    get: (key) => config.get(key),
    isSet: (key) => {
      const i = config.inspect(key);
      return (
        i !== undefined &&
        (i.globalValue !== undefined ||
          i.workspaceValue !== undefined ||
          i.workspaceFolderValue !== undefined ||
          i.globalLanguageValue !== undefined ||
          i.workspaceLanguageValue !== undefined ||
          i.workspaceFolderLanguageValue !== undefined)
      );
    },
  };
}
