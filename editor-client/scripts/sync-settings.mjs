#!/usr/bin/env node
// Regenerates `contributes.configuration.properties` in package.json from the server's schema
// (`infilld schema --vscode`), keeping the extension's own keys (`infilld.enable`,
// `infilld.server.*`). The server's msgspec Structs are the one source of truth for its settings;
// this script is how the editor's settings UI follows them.
//
//   node scripts/sync-settings.mjs           rewrite package.json
//   node scripts/sync-settings.mjs --check   exit 1 and list the differences if it is out of date
//
// The binary: $INFILLD_BIN, else <repo>/.venv/bin/infilld, else `infilld` on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packagePath = join(here, '..', 'package.json');

export function isClientOnlyKey(key) {
  return key === 'infilld.enable' || key.startsWith('infilld.server.');
}

export function findInfilld() {
  if (process.env.INFILLD_BIN) {
    return process.env.INFILLD_BIN;
  }
  const venv = join(here, '..', '..', '.venv', 'bin', 'infilld');
  return existsSync(venv) ? venv : 'infilld';
}

export function serverProperties(binary = findInfilld()) {
  const out = execFileSync(binary, ['schema', '--vscode'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out);
}

/** package.json's properties with the server's part replaced by `server`. */
export function mergeProperties(current, server) {
  const merged = {};
  for (const [key, value] of Object.entries(current)) {
    if (isClientOnlyKey(key)) {
      merged[key] = value;
    }
  }
  for (const [key, value] of Object.entries(server)) {
    if (isClientOnlyKey(key)) {
      throw new Error(`the server's schema defines ${key}, a key reserved for the extension`);
    }
    merged[key] = value;
  }
  return merged;
}

export function differences(current, wanted) {
  const lines = [];
  for (const key of new Set([...Object.keys(current), ...Object.keys(wanted)])) {
    const a = JSON.stringify(current[key]);
    const b = JSON.stringify(wanted[key]);
    if (a !== b) {
      lines.push(`${key}:\n    package.json: ${a ?? '(missing)'}\n    server:       ${b ?? '(missing)'}`);
    }
  }
  return lines;
}

function main() {
  const check = process.argv.includes('--check');
  const pkg = JSON.parse(readFileSync(packagePath, 'utf8'));
  const current = pkg.contributes.configuration.properties;
  const wanted = mergeProperties(current, serverProperties());
  const diff = differences(current, wanted);
  if (check) {
    if (diff.length > 0) {
      console.error(`package.json settings differ from \`infilld schema --vscode\`:\n${diff.join('\n')}`);
      console.error('run: node editor-client/scripts/sync-settings.mjs');
      process.exit(1);
    }
    console.log('package.json settings match the server schema');
    return;
  }
  pkg.contributes.configuration.properties = wanted;
  writeFileSync(packagePath, JSON.stringify(pkg, null, 2) + '\n');
  console.log(diff.length ? `updated ${diff.length} setting(s)` : 'already up to date');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main();
}
