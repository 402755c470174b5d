/**
 * Finds the `infilld` executable: the `infilld.server.path` setting, else the repository's
 * virtual environment when the extension runs from a checkout (`<repo>/editor-client`), else
 * `infilld` on PATH. Pure (file checks are injected), so every branch is unit tested.
 */
import * as path from 'node:path';

export interface FileProbe {
  /** True when `file` exists and can be executed. */
  isExecutable(file: string): boolean;
}

export interface LookupContext {
  settingPath: string;
  extensionPath: string;
  workspaceFolder: string | undefined;
  homeDir: string;
  pathEnv: string;
  platform: NodeJS.Platform;
}

export type BinarySource = 'setting' | 'repository' | 'PATH';

export type BinaryLookup =
  | { ok: true; command: string; source: BinarySource }
  | { ok: false; message: string; fixBySetting: boolean };

function expandSetting(value: string, ctx: LookupContext): string {
  let expanded = value;
  if (expanded === '~' || expanded.startsWith('~/')) {
    expanded = path.join(ctx.homeDir, expanded.slice(1));
  }
  if (ctx.workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, ctx.workspaceFolder);
  }
  if (!path.isAbsolute(expanded) && expanded.includes('/') && ctx.workspaceFolder !== undefined) {
    expanded = path.resolve(ctx.workspaceFolder, expanded);
  }
  return expanded;
}

function executableNames(platform: NodeJS.Platform): string[] {
  return platform === 'win32' ? ['infilld.exe', 'infilld.cmd', 'infilld'] : ['infilld'];
}

export function repositoryBinary(extensionPath: string, platform: NodeJS.Platform): string {
  const venv = path.join(extensionPath, '..', '.venv');
  return platform === 'win32' ? path.join(venv, 'Scripts', 'infilld.exe') : path.join(venv, 'bin', 'infilld');
}

export function findServerBinary(ctx: LookupContext, probe: FileProbe): BinaryLookup {
  if (ctx.settingPath !== '') {
    const command = expandSetting(ctx.settingPath, ctx);
    // A bare name ("infilld", "infilld-dev") is looked up on PATH like a shell would.
    if (!command.includes('/') && !command.includes('\\')) {
      const found = searchPath(command, ctx, probe);
      if (found !== undefined) {
        return { ok: true, command: found, source: 'setting' };
      }
      return {
        ok: false,
        fixBySetting: true,
        message: `infilld.server.path is "${ctx.settingPath}", which is not on PATH. Set it to the full path of the infilld executable.`,
      };
    }
    if (probe.isExecutable(command)) {
      return { ok: true, command, source: 'setting' };
    }
    return {
      ok: false,
      fixBySetting: true,
      message: `infilld.server.path is "${ctx.settingPath}", but ${command} does not exist or is not executable.`,
    };
  }
  const repo = repositoryBinary(ctx.extensionPath, ctx.platform);
  if (probe.isExecutable(repo)) {
    return { ok: true, command: repo, source: 'repository' };
  }
  for (const name of executableNames(ctx.platform)) {
    const found = searchPath(name, ctx, probe);
    if (found !== undefined) {
      return { ok: true, command: found, source: 'PATH' };
    }
  }
  return {
    ok: false,
    fixBySetting: true,
    message:
      'The infilld server was not found on PATH. Install it (pip install infilld, or run the repository setup) ' +
      'or set infilld.server.path to the infilld executable.',
  };
}

function searchPath(name: string, ctx: LookupContext, probe: FileProbe): string | undefined {
  const separator = ctx.platform === 'win32' ? ';' : ':';
  for (const dir of ctx.pathEnv.split(separator)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, name);
    if (probe.isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}
