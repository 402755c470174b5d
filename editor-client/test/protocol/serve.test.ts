/**
 * The wire contract the extension relies on, checked against the real `infilld serve`: the
 * capabilities vscode-languageclient registers features from, settings as initializationOptions
 * and didChangeConfiguration, the status notification and load progress, inline completion,
 * "Fix this" code actions with resolve, and a clean shutdown. Uses the fake backend for speed; one
 * case loads the real model when it is downloaded.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  ShutdownRequest,
  type CodeAction,
  type InitializeResult,
  type InlineCompletionItem,
  type InlineCompletionList,
  type Position,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { repoRoot, serverMissing, ServerProcess, vscodeLikeCapabilities, infilldBinary } from './serverProcess';

const URI = 'file:///tmp/infilld-protocol/sample.py';
const SAMPLE = [
  'def add(a, b):',
  '    return a + b',
  '',
  '',
  'def total(items):',
  '    result = 0',
  '    for item in items:',
  '        result = add(result, item)',
  '    return result',
  '',
  '',
  'def mean(values):',
  '    return sum(values) / len(value)  # fake-fix: len(value) -> len(values)',
  '',
  '',
  'def total_again(items):',
  '    result = 0',
  '    for item in items:',
  '        result = ad',
].join('\n');

function offsetAt(text: string, pos: Position): number {
  const lines = text.split('\n');
  return lines.slice(0, pos.line).reduce((n, l) => n + l.length + 1, 0) + pos.character;
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
  return sorted.reduce((t, e) => t.slice(0, offsetAt(t, e.range.start)) + e.newText + t.slice(offsetAt(t, e.range.end)), text);
}

function applyInline(text: string, at: Position, item: InlineCompletionItem): string {
  const insert = typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
  const range = item.range ?? { start: at, end: at };
  return applyEdits(text, [{ range, newText: insert }]);
}

function itemsOf(result: InlineCompletionList | InlineCompletionItem[] | null): InlineCompletionItem[] {
  if (result === null) {
    return [];
  }
  return Array.isArray(result) ? result : result.items;
}

function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  const fromChanges = edit?.changes?.[uri] ?? [];
  const fromDocumentChanges = (edit?.documentChanges ?? []).flatMap((c) =>
    'textDocument' in c && c.textDocument.uri === uri ? c.edits.filter((e): e is TextEdit => 'range' in e && 'newText' in e) : [],
  );
  return [...fromChanges, ...fromDocumentChanges];
}

async function initialize(server: ServerProcess, options: object): Promise<InitializeResult> {
  const result = await server.connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: vscodeLikeCapabilities,
    initializationOptions: options,
    clientInfo: { name: 'infilld-protocol-test', version: '1' },
  });
  await server.connection.sendNotification(InitializedNotification.type, {});
  return result;
}

describe('infilld serve over the protocol layer (fake backend)', { skip: serverMissing }, () => {
  let server: ServerProcess;
  let init: InitializeResult;

  before(async () => {
    server = new ServerProcess([], { INFILLD_FAKE_LOAD_S: '0.3' });
    init = await initialize(server, { model: { backend: 'fake' }, context: { enable: false }, logLevel: 'debug' });
  });

  after(() => server.kill());

  it('advertises what vscode-languageclient registers providers from', () => {
    const caps = init.capabilities;
    assert.ok(caps.inlineCompletionProvider, 'inlineCompletionProvider');
    const actions = caps.codeActionProvider;
    assert.ok(typeof actions === 'object' && actions.resolveProvider === true, 'codeAction with resolve');
    assert.ok(typeof actions === 'object' && actions.codeActionKinds?.includes('quickfix'));
    assert.ok(caps.executeCommandProvider?.commands.includes('infilld.applyFix'), 'the fix command for clients without resolve');
  });

  it('reports loading with work-done progress, then ready, with the model name', async () => {
    const ready = await server.waitForStatus('ready', 20_000);
    assert.ok(server.statuses[0].state === 'loading', `first status: ${JSON.stringify(server.statuses[0])}`);
    assert.ok(ready.model !== '', 'the status names the model');
    const kinds = server.progress.map((p) => (p.value as { kind: string }).kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
    assert.ok(String(server.progress[0].token).startsWith('infilld-load-'), 'the extension recognises the load token by its prefix');
  });

  it('completes a line inline, and the suggestion applies to the expected text', async () => {
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: URI, languageId: 'python', version: 1, text: SAMPLE },
    });
    const at = { line: 18, character: '        result = ad'.length };
    const result = await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri: URI },
      position: at,
      context: { triggerKind: InlineCompletionTriggerKind.Automatic },
    });
    const items = itemsOf(result);
    assert.ok(items.length > 0, `no inline completion; server log:\n${server.log()}`);
    const applied = applyInline(SAMPLE, at, items[0]).split('\n');
    assert.equal(applied[18], '        result = add(result, item)');
    const latency = await server.waitForStatus('ready', 5000, server.statuses.length - 1);
    assert.ok(latency.state === 'ready');
  });

  it('lists "Fix this" for a diagnostic and resolves it to the edit', async () => {
    const diagnostic = {
      range: { start: { line: 12, character: 29 }, end: { line: 12, character: 34 } },
      message: "undefined name 'value'",
      severity: 1 as const,
      source: 'pyflakes',
    };
    const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: URI },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    const fix = actions.find((a) => a.title.startsWith('Fix this'));
    assert.ok(fix, `actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.edit, undefined, 'the edit is computed on resolve, not while listing');
    const resolved = await server.connection.sendRequest(CodeActionResolveRequest.type, fix);
    const fixed = applyEdits(SAMPLE, editsFor(resolved.edit, URI)).split('\n');
    assert.match(fixed[12], /return sum\(values\) \/ len\(values\)/);
    assert.equal(fixed.length, SAMPLE.split('\n').length, 'only that line changes');
  });

  it('reports an invalid setting sent with didChangeConfiguration by name', async () => {
    const before = server.messages.length;
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { infilld: { model: { backend: 'fake' }, completion: { maxTokens: 'lots' } } },
    });
    const deadline = Date.now() + 5000;
    while (server.messages.length === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const shown = server.messages.slice(before).map((m) => m.message).join('\n');
    assert.match(shown, /maxTokens/);
  });

  it('shuts down cleanly on shutdown + exit', async () => {
    await server.connection.sendRequest(ShutdownRequest.type);
    await server.connection.sendNotification(ExitNotification.type);
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(code, 0);
  });
});

function realModelMissing(): string | false {
  if (serverMissing) {
    return serverMissing;
  }
  if (process.env.INFILLD_TEST_REAL_MODEL === '0') {
    return 'INFILLD_TEST_REAL_MODEL=0';
  }
  try {
    const models = JSON.parse(execFileSync(infilldBinary, ['models', 'list', '--json'], { encoding: 'utf8' })) as {
      present: boolean;
      verified: boolean;
      default?: boolean;
    }[];
    const model = models.find((m) => m.default) ?? models[0];
    return model?.present && model.verified ? false : 'the default model is not downloaded (infilld models pull)';
  } catch (error) {
    return `infilld models list failed: ${String(error)}`;
  }
}

describe('infilld serve with the real model', { skip: realModelMissing(), timeout: 240_000 }, () => {
  it('loads the model and returns a suggestion without FIM tokens', async () => {
    const server = new ServerProcess();
    try {
      await initialize(server, { context: { enable: false }, completion: { maxTokens: 24, timeoutMs: 60_000 } });
      const uri = `file://${repoRoot}/editor-client/test/fixtures/real.py`;
      const text = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return ';
      await server.waitForStatus('ready', 180_000);
      await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'python', version: 1, text },
      });
      const at = { line: 3, character: 11 };
      const items = itemsOf(
        await server.connection.sendRequest(InlineCompletionRequest.type, {
          textDocument: { uri },
          position: at,
          context: { triggerKind: InlineCompletionTriggerKind.Invoked },
        }),
      );
      assert.ok(items.length > 0, `no suggestion; log:\n${server.log()}`);
      const insert = typeof items[0].insertText === 'string' ? items[0].insertText : items[0].insertText.value;
      assert.ok(insert.trim() !== '', 'a non-empty suggestion');
      assert.doesNotMatch(insert, /<\|fim_|<\|endoftext\|>|<\|file_sep\|>/);
      const status = await server.waitForStatus('ready', 5000, 1);
      assert.ok(status.state === 'ready');
      await server.connection.sendRequest(ShutdownRequest.type);
      await server.connection.sendNotification(ExitNotification.type);
      assert.equal(await server.exited, 0);
    } finally {
      server.kill();
    }
  });
});
