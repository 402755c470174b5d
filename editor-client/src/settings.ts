/**
 * Reads the `infilld.*` configuration, checks each value against the schema in package.json, and
 * splits it into what the extension itself uses (`infilld.enable`, `infilld.server.*`) and the
 * nested object the server receives as `initializationOptions` / `didChangeConfiguration`.
 *
 * No `vscode` import: the configuration is read through `ConfigurationReader`, so this is unit
 * tested directly.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The subset of JSON Schema used by `contributes.configuration.properties`. */
export interface SettingSchema {
  type?: string | string[];
  enum?: JsonValue[];
  minimum?: number;
  maximum?: number;
  items?: SettingSchema;
  default?: JsonValue;
  description?: string;
  markdownDescription?: string;
}

export type SettingsSchema = Readonly<Record<string, SettingSchema>>;

/** How settings are read: `get` gives the effective value, `isSet` says whether the user (or a
 * workspace) chose it rather than it being the package.json default. Keys are full keys
 * (`infilld.completion.maxTokens`). */
export interface ConfigurationReader {
  get(key: string): unknown;
  isSet(key: string): boolean;
}

export const SECTION = 'infilld';

export type TraceLevel = 'off' | 'messages' | 'verbose';

/** Settings that only the extension reads; never sent to the server. */
export interface ClientSettings {
  enable: boolean;
  serverPath: string;
  serverArgs: string[];
  trace: TraceLevel;
}

export interface ReadSettings {
  client: ClientSettings;
  /** Nested camelCase object (`{model: {name}, completion: {...}, logLevel}`) for the server. */
  server: JsonObject;
  /** One line per rejected value, naming the key, what was expected and what happens instead. */
  problems: string[];
}

/** The keys the extension owns; every other `infilld.*` key mirrors the server's schema. */
export function isClientOnlyKey(key: string): boolean {
  return key === `${SECTION}.enable` || key.startsWith(`${SECTION}.server.`);
}

export const CLIENT_DEFAULTS: ClientSettings = {
  enable: true,
  serverPath: '',
  serverArgs: [],
  trace: 'off',
};

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 39) + '…' : value)}`;
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `${typeof value} ${String(value)}`;
}

function matchesType(value: unknown, type: string, schema: SettingSchema): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return (
        Array.isArray(value) &&
        (schema.items === undefined || value.every((item) => validateValue(item, schema.items as SettingSchema) === undefined))
      );
    default:
      return true; // a type this checker does not know: let the server judge it
  }
}

/** Why `value` does not fit `schema`, or undefined when it does. */
export function validateValue(value: unknown, schema: SettingSchema): string | undefined {
  if (schema.enum !== undefined) {
    if (!schema.enum.some((allowed) => allowed === value)) {
      const options = schema.enum.map((v) => JSON.stringify(v)).join(', ');
      return `expected one of ${options}, got ${describe(value)}`;
    }
    return undefined;
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t, schema))) {
      const wanted = types.map((t) => (t === 'integer' ? 'an integer' : t === 'array' ? 'an array' : `a ${t}`));
      return `expected ${wanted.join(' or ')}, got ${describe(value)}`;
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      return `must be at least ${schema.minimum}, got ${value}`;
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      return `must be at most ${schema.maximum}, got ${value}`;
    }
  }
  return undefined;
}

function setNested(target: JsonObject, path: string[], value: JsonValue): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      node[part] = {};
    }
    node = node[part] as JsonObject;
  }
  node[path[path.length - 1]] = value;
}

function clientValue<K extends keyof ClientSettings>(
  config: ConfigurationReader,
  schema: SettingsSchema,
  key: string,
  field: K,
  problems: string[],
): ClientSettings[K] {
  const value = config.get(key);
  const entry = schema[key];
  if (value === undefined || entry === undefined) {
    return CLIENT_DEFAULTS[field];
  }
  const problem = validateValue(value, entry);
  if (problem !== undefined) {
    problems.push(`${key}: ${problem}; using the default`);
    return CLIENT_DEFAULTS[field];
  }
  return value as ClientSettings[K];
}

/**
 * Reads every key of `schema`. Server keys are sent only when the user set them: the server then
 * applies its own defaults (and any command-line options in `infilld.server.args`) for the rest,
 * rather than having package.json defaults override them. Invalid values are left out and
 * reported, so the server falls back to its default instead of receiving a wrong type.
 */
export function readSettings(config: ConfigurationReader, schema: SettingsSchema): ReadSettings {
  const problems: string[] = [];
  const server: JsonObject = {};
  for (const [key, entry] of Object.entries(schema)) {
    if (isClientOnlyKey(key) || !key.startsWith(`${SECTION}.`) || !config.isSet(key)) {
      continue;
    }
    const value = config.get(key);
    if (value === undefined) {
      continue;
    }
    const problem = validateValue(value, entry);
    if (problem !== undefined) {
      problems.push(`${key}: ${problem}; the server uses its default`);
      continue;
    }
    setNested(server, key.slice(SECTION.length + 1).split('.'), value as JsonValue);
  }
  const client: ClientSettings = {
    enable: clientValue(config, schema, `${SECTION}.enable`, 'enable', problems),
    serverPath: clientValue(config, schema, `${SECTION}.server.path`, 'serverPath', problems).trim(),
    serverArgs: clientValue(config, schema, `${SECTION}.server.args`, 'serverArgs', problems),
    trace: clientValue(config, schema, `${SECTION}.server.trace`, 'trace', problems),
  };
  return { client, server, problems };
}

/** True when a change to these keys needs a new server process rather than a settings update. */
export function needsRestart(before: ClientSettings, after: ClientSettings): boolean {
  return (
    before.serverPath !== after.serverPath ||
    before.serverArgs.length !== after.serverArgs.length ||
    before.serverArgs.some((arg, i) => arg !== after.serverArgs[i])
  );
}
