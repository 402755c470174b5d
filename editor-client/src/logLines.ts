/**
 * Sorts the server's stderr lines into log levels for VS Code's log output channel (the default
 * would show every line as an error), and keeps the last lines so that a crash message can quote
 * them. The server logs `<date> <time> LEVEL logger: message`; anything else (a traceback, native
 * llama.cpp output) continues the level of the line before it.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const PATTERN = /^\d{4}-\d{2}-\d{2} [\d:,.]+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) /;

export function levelOf(line: string, previous: LogLevel): LogLevel {
  const match = PATTERN.exec(line);
  if (match === null) {
    return line.startsWith('Traceback ') ? 'error' : previous;
  }
  switch (match[1]) {
    case 'DEBUG':
      return 'debug';
    case 'INFO':
      return 'info';
    case 'WARNING':
      return 'warn';
    default:
      return 'error';
  }
}

/** The last `capacity` lines seen. */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 20) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) {
      this.lines.shift();
    }
  }

  /** The last `n` non-empty lines, joined. */
  last(n: number): string {
    return this.lines
      .filter((l) => l.trim() !== '')
      .slice(-n)
      .join('\n');
  }

  clear(): void {
    this.lines.length = 0;
  }
}
