/**
 * "Select model": lists the registry with `infilld models list --json`, and sets
 * `infilld.model.name` to the choice. A model that is not downloaded yet can be fetched in a
 * terminal, where the user sees the download's progress and can stop it.
 */
import * as vscode from 'vscode';
import { writeSetting } from './configWriter';
import { describeModel, listModels, type ModelInfo } from './models';

export async function pickModel(binary: string, current: string): Promise<string | undefined> {
  let models: ModelInfo[];
  try {
    models = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'infilld: listing models' },
      () => listModels(binary),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
    return undefined;
  }
  if (models.length === 0) {
    void vscode.window.showWarningMessage('infilld models list returned no models.');
    return undefined;
  }
  const items = models.map((m) => {
    const { description, detail } = describeModel(m);
    return {
      label: `${m.name === current ? '$(check) ' : ''}${m.name}`,
      description,
      detail,
      model: m,
    };
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'infilld: select model',
    placeHolder: `current: ${current}`,
    matchOnDescription: true,
  });
  if (picked === undefined) {
    return undefined;
  }
  const model = picked.model;
  if (!model.present) {
    const download = 'Download in a terminal';
    const answer = await vscode.window.showInformationMessage(
      `${model.name} is not downloaded yet. The server reports an error until it is.`,
      download,
      'Select anyway',
    );
    if (answer === undefined) {
      return undefined;
    }
    if (answer === download) {
      const terminal = vscode.window.createTerminal({ name: 'infilld: model download' });
      terminal.show();
      terminal.sendText(`${shellQuote(binary)} models pull ${shellQuote(model.name)}`);
    }
  }
  await writeSetting('model.name', model.name);
  return model.name;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
