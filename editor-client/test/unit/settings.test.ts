import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import packageJson from '../../package.json';
import {
  isClientOnlyKey,
  needsRestart,
  readSettings,
  validateValue,
  CLIENT_DEFAULTS,
  type ConfigurationReader,
  type SettingsSchema,
} from '../../src/settings';

const SCHEMA = packageJson.contributes.configuration.properties as SettingsSchema;

function reader(values: Record<string, unknown>): ConfigurationReader {
  return {
    get: (key) => (key in values ? values[key] : SCHEMA[key]?.default),
    isSet: (key) => key in values,
  };
}

describe('validateValue', () => {
  it('accepts values of the declared type within bounds', () => {
    assert.equal(validateValue(96, { type: 'integer', minimum: 1, maximum: 1024 }), undefined);
    assert.equal(validateValue(0.5, { type: 'number', minimum: 0 }), undefined);
    assert.equal(validateValue('x', { type: 'string' }), undefined);
    assert.equal(validateValue(['a'], { type: 'array', items: { type: 'string' } }), undefined);
  });

  it('names what was expected and what was given', () => {
    assert.equal(validateValue('96', { type: 'integer' }), 'expected an integer, got the string "96"');
    assert.equal(validateValue(1.5, { type: 'integer' }), 'expected an integer, got number 1.5');
    assert.equal(validateValue(true, { type: 'string' }), 'expected a string, got boolean true');
    assert.equal(validateValue([1], { type: 'array', items: { type: 'string' } }), 'expected an array, got an array');
  });

  it('enforces bounds and enums', () => {
    assert.equal(validateValue(0, { type: 'integer', minimum: 1 }), 'must be at least 1, got 0');
    assert.equal(validateValue(2000, { type: 'integer', maximum: 1024 }), 'must be at most 1024, got 2000');
    assert.equal(validateValue('gpu', { enum: ['fake', 'llama'] }), 'expected one of "fake", "llama", got the string "gpu"');
    assert.equal(validateValue('fake', { enum: ['fake', 'llama'] }), undefined);
  });
});

describe('readSettings', () => {
  it('sends only the keys the user set, nested and camelCase as the server expects', () => {
    const read = readSettings(
      reader({
        'infilld.model.backend': 'fake',
        'infilld.completion.maxTokens': 32,
        'infilld.logLevel': 'debug',
        'infilld.server.path': '/opt/infilld/bin/infilld',
      }),
      SCHEMA,
    );
    assert.deepEqual(read.server, { model: { backend: 'fake' }, completion: { maxTokens: 32 }, logLevel: 'debug' });
    assert.deepEqual(read.problems, []);
    assert.equal(read.client.serverPath, '/opt/infilld/bin/infilld');
  });

  it('never sends client-only keys to the server', () => {
    const read = readSettings(reader({ 'infilld.enable': false, 'infilld.server.args': ['--threads', '2'] }), SCHEMA);
    assert.deepEqual(read.server, {});
    assert.equal(read.client.enable, false);
    assert.deepEqual(read.client.serverArgs, ['--threads', '2']);
  });

  it('reports wrong types and leaves them out so the server uses its default', () => {
    const read = readSettings(
      reader({
        'infilld.completion.maxTokens': 'lots',
        'infilld.completion.temperature': 5,
        'infilld.model.name': 'qwen',
        'infilld.server.args': '--threads 2',
      }),
      SCHEMA,
    );
    assert.deepEqual(read.server, { model: { name: 'qwen' } });
    assert.equal(read.problems.length, 3);
    assert.match(read.problems[0], /^infilld\.completion\.maxTokens: expected an integer, got the string "lots"/);
    assert.match(read.problems[1], /^infilld\.completion\.temperature: must be at most 2, got 5/);
    assert.match(read.problems[2], /^infilld\.server\.args: expected an array/);
    assert.deepEqual(read.client.serverArgs, CLIENT_DEFAULTS.serverArgs);
  });

  it('uses client defaults when nothing is set', () => {
    const read = readSettings(reader({}), SCHEMA);
    assert.deepEqual(read.client, CLIENT_DEFAULTS);
    assert.deepEqual(read.server, {});
  });
});

describe('client-only keys', () => {
  it('are infilld.enable and infilld.server.*', () => {
    assert.ok(isClientOnlyKey('infilld.enable'));
    assert.ok(isClientOnlyKey('infilld.server.path'));
    assert.ok(!isClientOnlyKey('infilld.completion.enable'));
    assert.ok(!isClientOnlyKey('infilld.model.name'));
  });

  it('restart the process only when path or arguments change', () => {
    const base = { ...CLIENT_DEFAULTS };
    assert.equal(needsRestart(base, { ...base, trace: 'verbose' }), false);
    assert.equal(needsRestart(base, { ...base, serverPath: '/x' }), true);
    assert.equal(needsRestart(base, { ...base, serverArgs: ['--threads', '1'] }), true);
  });
});
