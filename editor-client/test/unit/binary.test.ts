import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findServerBinary, type LookupContext } from '../../src/binary';

const ctx: LookupContext = {
  settingPath: '',
  extensionPath: '/repo/editor-client',
  workspaceFolder: '/work/project',
  homeDir: '/home/me',
  pathEnv: '/usr/local/bin:/usr/bin',
  platform: 'linux',
};

function probe(...existing: string[]) {
  return { isExecutable: (file: string) => existing.includes(file) };
}

describe('findServerBinary', () => {
  it('prefers the setting', () => {
    const found = findServerBinary({ ...ctx, settingPath: '/opt/infilld' }, probe('/opt/infilld', '/repo/.venv/bin/infilld'));
    assert.deepEqual(found, { ok: true, command: '/opt/infilld', source: 'setting' });
  });

  it('expands ~ and resolves relative paths against the workspace folder', () => {
    assert.deepEqual(findServerBinary({ ...ctx, settingPath: '~/bin/infilld' }, probe('/home/me/bin/infilld')), {
      ok: true,
      command: '/home/me/bin/infilld',
      source: 'setting',
    });
    assert.deepEqual(findServerBinary({ ...ctx, settingPath: '.venv/bin/infilld' }, probe('/work/project/.venv/bin/infilld')), {
      ok: true,
      command: '/work/project/.venv/bin/infilld',
      source: 'setting',
    });
  });

  it('says which setting is wrong when the configured path does not exist', () => {
    const found = findServerBinary({ ...ctx, settingPath: '/nope/infilld' }, probe('/usr/bin/infilld'));
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : '', /infilld\.server\.path is "\/nope\/infilld"/);
  });

  it('uses the repository virtual environment when running from a checkout', () => {
    const found = findServerBinary(ctx, probe('/repo/.venv/bin/infilld', '/usr/bin/infilld'));
    assert.deepEqual(found, { ok: true, command: '/repo/.venv/bin/infilld', source: 'repository' });
  });

  it('falls back to PATH, in PATH order', () => {
    const found = findServerBinary(ctx, probe('/usr/local/bin/infilld', '/usr/bin/infilld'));
    assert.deepEqual(found, { ok: true, command: '/usr/local/bin/infilld', source: 'PATH' });
  });

  it('explains how to install when nothing is found', () => {
    const found = findServerBinary(ctx, probe());
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : '', /not found on PATH.*infilld\.server\.path/);
  });
});
