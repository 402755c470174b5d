/**
 * The model picker's data: runs `infilld models list --json` and checks its output, so that a
 * server that prints something else gives a readable error instead of an empty list.
 */
import { execFile } from 'node:child_process';

export interface ModelInfo {
  name: string;
  file: string;
  params: string;
  variant: string;
  size: number;
  present: boolean;
  verified: boolean;
  path: string;
}

export function parseModelList(stdout: string): ModelInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    throw new Error(`infilld models list --json printed something that is not JSON: ${stdout.slice(0, 200)}`);
  }
  if (!Array.isArray(data)) {
    throw new Error('infilld models list --json did not print a JSON array');
  }
  return data.flatMap((raw: unknown): ModelInfo[] => {
    if (typeof raw !== 'object' || raw === null) {
      return [];
    }
    const m = raw as Record<string, unknown>;
    if (typeof m.name !== 'string' || m.name === '') {
      return [];
    }
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return [
      {
        name: m.name,
        file: str(m.file),
        params: str(m.params),
        variant: str(m.variant),
        size: typeof m.size === 'number' ? m.size : 0,
        present: m.present === true,
        verified: m.verified === true,
        path: str(m.path),
      },
    ];
  });
}

export function formatSize(bytes: number): string {
  if (bytes <= 0) {
    return '';
  }
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/** One line about a model for the picker. */
export function describeModel(m: ModelInfo): { description: string; detail: string } {
  const description = [m.params, m.variant, formatSize(m.size)].filter((s) => s !== '').join(' · ');
  let detail: string;
  if (m.present && m.verified) {
    detail = `downloaded and verified: ${m.path}`;
  } else if (m.present) {
    detail = `downloaded but not verified (run: infilld models verify ${m.name})`;
  } else {
    detail = `not downloaded (run: infilld models pull ${m.name})`;
  }
  return { description, detail };
}

export function listModels(binary: string, timeoutMs = 30_000): Promise<ModelInfo[]> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['models', 'list', '--json'], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = stderr.trim() || error.message;
        reject(new Error(`infilld models list failed: ${why}`));
        return;
      }
      try {
        resolve(parseModelList(stdout));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
