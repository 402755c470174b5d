/**
 * The extension's behaviour with the `vscode` API stubbed (test/unit/vscodeStub.ts) and the real
 * vscode-languageclient: activation, the errors a user sees when the server cannot start, and,
 * when the repository's infilld is installed, a real `infilld serve` (fake backend) reaching
 * "ready", surviving a crash and taking settings changes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type * as vscodeTypes from 'vscode';
import packageJson from '../../package.json';
import { activate, deactivate, type InfilldApi } from '../../src/extension';
import * as stub from './vscodeStub';

const extensionPath = path.resolve(__dirname, '..', '..', '..');
const repoBinary = path.join(extensionPath, '..', '.venv', 'bin', 'infilld');
const noServer = existsSync(repoBinary) ? false : `no infilld at ${repoBinary}`;

let subscriptions: { dispose(): unknown }[] = [];

function start(): InfilldApi {
  subscriptions = [];
  const context = { subscriptions, extensionPath } as unknown as vscodeTypes.ExtensionContext;
  return activate(context);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      const logs = stub.recorded.logs.slice(-15).map((l) => `${l.level} ${l.text}`).join('\n');
      throw new Error(`timed out waiting for ${what}; last log lines:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function statusText(): string {
  return stub.recorded.statusItems[0]?.text ?? '';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('extension (vscode stubbed)', () => {
  beforeEach(() => stub.resetStub());
  afterEach(async () => {
    await deactivate();
    for (const s of subscriptions) {
      s.dispose();
    }
  });

  it('registers every command package.json declares', () => {
    stub.settingsStore.set('infilld.enable', false);
    start();
    const declared = packageJson.contributes.commands.map((c) => c.command).sort();
    const registered = [...stub.recorded.commands.keys()].filter((c) => c.startsWith('infilld.')).sort();
    assert.deepEqual(registered, declared);
    assert.equal(statusText(), '$(circle-slash) infilld', 'turned off: the status bar says so');
  });

  it('shows an error with "Open settings" when the configured binary does not exist', async () => {
    stub.settingsStore.set('infilld.server.path', '/nonexistent/bin/infilld');
    stub.recorded.answer = 'Open settings';
    start();
    const shown = await waitFor('an error message', () => stub.recorded.messages.find((m) => m.kind === 'error'));
    assert.match(shown.message, /infilld\.server\.path is "\/nonexistent\/bin\/infilld"/);
    assert.deepEqual(shown.items, ['Open settings', 'Show logs']);
    assert.equal(statusText(), '$(error) infilld');
    await waitFor('the settings UI to open', () => stub.recorded.executed.find((e) => e.command === 'workbench.action.openSettings'));
  });

  it('reports a server that crashes at start with its last stderr lines, and does not retry', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'infilld-crash-'));
    const fake = path.join(dir, 'infilld');
    writeFileSync(fake, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'llama_cpp\'" >&2\nexit 3\n', { mode: 0o755 });
    stub.settingsStore.set('infilld.server.path', fake);
    start();
    const shown = await waitFor('an error message', () => stub.recorded.messages.find((m) => m.kind === 'error' && /failed to start/.test(m.message)));
    assert.match(shown.message, /No module named 'llama_cpp'/);
    assert.ok(shown.items.includes('Show logs'));
    assert.equal(statusText(), '$(error) infilld');
    await new Promise((r) => setTimeout(r, 1500));
    const starts = stub.recorded.logs.filter((l) => l.text.includes(`starting ${fake}`));
    assert.equal(starts.length, 1, 'a crash at start is reported, not retried in a loop');
  });

  it('reports invalid settings once, naming the key', async () => {
    stub.settingsStore.set('infilld.enable', false);
    stub.settingsStore.set('infilld.completion.maxTokens', 'many');
    start();
    const warnings = stub.recorded.messages.filter((m) => m.kind === 'warning');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, /infilld\.completion\.maxTokens: expected an integer, got the string "many"/);
    stub.changeSetting('infilld.completion.maxLines', 4); // an unrelated change: no second warning
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stub.recorded.messages.filter((m) => m.kind === 'warning').length, 1);
  });

  it('starts the real server, shows ready, restarts it after a crash, and pushes settings', { skip: noServer, timeout: 90_000 }, async () => {
    stub.settingsStore.set('infilld.model.backend', 'fake');
    stub.settingsStore.set('infilld.context.enable', false);
    stub.settingsStore.set('infilld.server.trace', 'messages');
    const api = start();
    await waitFor('status ready', () => statusText().startsWith('$(sparkle)'), 30_000);
    assert.equal(api.status().state, 'ready');
    assert.ok(stub.registeredProviders.includes('registerInlineCompletionItemProvider'), 'inline completion registered');
    assert.ok(stub.registeredProviders.includes('registerCodeActionsProvider'), 'code actions registered');
    assert.ok(stub.recorded.commands.has('infilld.applyFix'), "the server's fix command is forwarded");
    assert.equal(
      stub.recorded.messages.filter((m) => m.kind === 'error').length,
      0,
      stub.recorded.messages.map((m) => m.message).join('\n'),
    );

    const first = await waitFor('a server pid', () => api.serverPid());
    process.kill(first, 'SIGKILL');
    await waitFor('the restarting state', () => api.status().state === 'restarting' || undefined, 10_000);
    await waitFor('ready again', () => api.status().state === 'ready', 30_000);
    const second = api.serverPid();
    assert.ok(second !== undefined && second !== first, 'a new process');

    // A model setting reaches the server through workspace/didChangeConfiguration, and the
    // server reloads the model in the same process.
    stub.changeSetting('infilld.model.threads', 1);
    await waitFor('the server to reload the model', () =>
      stub.recorded.logs.find((l) => l.text.includes('model settings changed; reloading')),
    );
    await waitFor('ready after the reload', () => api.status().state === 'ready', 30_000);
    assert.equal(second !== undefined ? api.serverPid() : -1, second, 'a settings change does not restart the server');

    stub.changeSetting('infilld.enable', false);
    await waitFor('the server to stop', () => api.status().state === 'off' && second !== undefined && !isAlive(second), 10_000);
  });
});
