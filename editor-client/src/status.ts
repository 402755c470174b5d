/**
 * The status bar item (loading with progress, ready with the last latency, busy, error) and the
 * quick pick behind it. What to show is decided in statusModel.ts; this file only puts it on
 * screen.
 */
import * as vscode from 'vscode';
import { menuEntries, renderStatus, StatusTracker, type MenuAction, type ProcessState, type ServerStatus } from './statusModel';

export const MENU_COMMAND = 'infilld.showMenu';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  readonly tracker = new StatusTracker();

  constructor() {
    // Right side, next to the language mode: where other completion providers put theirs.
    this.item = vscode.window.createStatusBarItem('infilld.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'infilld';
    this.item.command = MENU_COMMAND;
    this.render();
    this.item.show();
  }

  onServerStatus(status: ServerStatus): void {
    this.tracker.onServerStatus(status);
    this.render();
  }

  onProcessState(state: ProcessState, message?: string): void {
    this.tracker.onProcessState(state, message);
    this.render();
  }

  onLoadProgress(percentage: number | undefined, message: string | undefined): void {
    this.tracker.onLoadProgress(percentage, message);
    this.render();
  }

  onLoadProgressEnd(): void {
    this.tracker.onLoadProgressEnd();
    this.render();
  }

  private render(): void {
    const view = renderStatus(this.tracker.current);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  /** Shows the menu; resolves to the chosen action (undefined when dismissed). */
  async pickAction(completionsEnabled: boolean, serverEnabled: boolean): Promise<MenuAction | undefined> {
    const entries = menuEntries(this.tracker.current, completionsEnabled, serverEnabled);
    const picked = await vscode.window.showQuickPick(
      entries.map((e) => ({ label: e.label, description: e.description, action: e.action })),
      { title: renderStatus(this.tracker.current).tooltip.split('\n')[0], placeHolder: 'infilld' },
    );
    return picked?.action;
  }

  dispose(): void {
    this.item.dispose();
  }
}
