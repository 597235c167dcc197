import type { Logger } from '../../src/kernel/logger.ts';

export interface LogLine {
  level: string;
  msg?: string;
  [key: string]: unknown;
}

/** A logger that keeps every line in memory, with child bindings merged in. */
export function memoryLogger(
  lines: LogLine[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { lines: LogLine[] } {
  const write = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(typeof obj === 'string' ? { level, ...bindings, msg: obj } : { level, ...bindings, ...obj, msg });
  };
  return {
    lines,
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('fatal'),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }),
  };
}
