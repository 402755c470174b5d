/**
 * package.json's settings must be exactly the server's schema (`infilld schema --vscode`) plus
 * the extension's own keys; this fails when they drift (fix: node scripts/sync-settings.mjs).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import packageJson from '../../package.json';
import { isClientOnlyKey } from '../../src/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const binary = process.env.INFILLD_BIN ?? path.join(root, '..', '.venv', 'bin', 'infilld');
const missing = existsSync(binary) ? false : `no infilld binary at ${binary} (set INFILLD_BIN)`;

const properties = packageJson.contributes.configuration.properties as Record<string, unknown>;

describe('settings in package.json', () => {
  it('match `infilld schema --vscode` exactly', { skip: missing }, () => {
    const server = JSON.parse(execFileSync(binary, ['schema', '--vscode'], { encoding: 'utf8' })) as Record<string, unknown>;
    const ours = Object.fromEntries(Object.entries(properties).filter(([k]) => !isClientOnlyKey(k)));
    assert.deepEqual(ours, server, 'package.json is out of date: run node editor-client/scripts/sync-settings.mjs');
  });

  it('sync-settings.mjs --check agrees', { skip: missing }, () => {
    const script = path.join(root, 'scripts', 'sync-settings.mjs');
    const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8', env: { ...process.env, INFILLD_BIN: binary } });
    assert.match(out, /match the server schema/);
  });

  it('has exactly the documented client-only keys', () => {
    const client = Object.keys(properties).filter(isClientOnlyKey).sort();
    assert.deepEqual(client, ['infilld.enable', 'infilld.server.args', 'infilld.server.path', 'infilld.server.trace']);
  });
});
