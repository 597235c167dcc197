import { Buffer } from 'node:buffer';
import { writeSync } from 'node:fs';
import { bindingsJson, LEVELS, type LevelName, logLine } from './log-line.ts';

/** Structured logging: `log.info({ requestId }, 'message')`. pino's shape, so a pino instance fits too. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** How log lines look: `json` (one object a line), `pretty` (for people), `auto` (pretty on a terminal). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Logs to stdout: JSON lines by default (what log shippers read), readable lines
 * with `pretty`, or when `auto` and stdout is a terminal (`isTerminal`; the runtime
 * adapter tells it without making `process.stdout`, which JSON lines never need).
 * The lines are pino's, byte for byte (`log-line.ts`); each is written whole before
 * the call returns, so a line logged before a crash is not lost in a buffer.
 */
export function createLogger(
  level: string,
  format: LogFormat = 'json',
  isTerminal: () => boolean = () => Boolean(process.stdout.isTTY),
): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTerminal());
  if (!pretty) return jsonLogger(level, stdoutWriter());
  const color = isTerminal() && !process.env.NO_COLOR;
  return jsonLogger(level, function writePretty(line: string) {
    process.stdout.write(`${prettyLine(JSON.parse(line) as Record<string, unknown>, color)}\n`);
  });
}

/** A logger handing `write` each JSON line (newline included) at `level` and above; `silent` writes none. */
export function jsonLogger(level: string, write: (line: string) => void): Logger {
  const threshold = level in LEVELS ? LEVELS[level as LevelName] : Number.POSITIVE_INFINITY;
  return new LineLogger(threshold, bindingsJson({ service: 'relaykit' }), write);
}

/** A logger writing `logLine`s at `threshold` and above (silent: none) through `write`. */
class LineLogger implements Logger {
  constructor(
    private readonly threshold: number,
    /** The bindings of this logger and its parents, as JSON (`,"service":"relaykit",…`). */
    private readonly bindings: string,
    private readonly write: (line: string) => void,
  ) {}

  trace(obj: object | string, msg?: string): void {
    this.at('trace', obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.at('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.at('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.at('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.at('error', obj, msg);
  }
  fatal(obj: object | string, msg?: string): void {
    this.at('fatal', obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new LineLogger(this.threshold, this.bindings + bindingsJson(bindings), this.write);
  }

  private at(level: LevelName, obj: object | string, msg: string | undefined): void {
    if (this.threshold <= LEVELS[level]) this.write(logLine(level, Date.now(), this.bindings, obj, msg));
  }
}

/**
 * Writes each line to file descriptor 1 at once and whole: retried while a
 * non-blocking pipe is full (EAGAIN), given up for good once its reader has gone
 * (EPIPE), as pino's sonic-boom does.
 */
function stdoutWriter(): (line: string) => void {
  let readerGone = false;
  return function writeStdout(line: string) {
    if (readerGone) return;
    let rest: string | Uint8Array = line;
    let left = Buffer.byteLength(line);
    while (left > 0) {
      try {
        // Two calls: the overloads of writeSync take a string or a buffer, not either.
        const written = typeof rest === 'string' ? writeSync(1, rest) : writeSync(1, rest);
        left -= written;
        if (left > 0) rest = (typeof rest === 'string' ? Buffer.from(rest) : rest).subarray(written);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'EPIPE') {
          readerGone = true;
          return;
        }
        if (code !== 'EAGAIN') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  };
}

const COLORS: Record<string, string> = { trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35' };

/** `12:00:01.234 INFO  relaykit ready url=http://… plugins=[…]` from one pino JSON record. */
export function prettyLine(record: Record<string, unknown>, color = false): string {
  const { level, time, msg, service: _service, err, ...fields } = record;
  const label = String(level ?? 'info');
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const tag = label.toUpperCase().padEnd(5);
  const head = color ? `\u001b[${COLORS[label] ?? '0'}m${tag}\u001b[0m` : tag;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const error =
    err && typeof err === 'object'
      ? `\n  ${(err as { stack?: string; message?: string }).stack ?? (err as { message?: string }).message}`
      : '';
  return `${clock} ${head} ${msg ?? ''}${rest.length ? ` ${rest.join(' ')}` : ''}${error}`;
}

function discard(): void {}

/**
 * A logger that writes nothing (tests, `relaykit config check`). Not a pino instance:
 * it is made when this module loads, on every start, and must cost nothing.
 */
export const silentLogger: Logger = {
  trace: discard,
  debug: discard,
  info: discard,
  warn: discard,
  error: discard,
  fatal: discard,
  child: () => silentLogger,
};
