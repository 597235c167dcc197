import pino from 'pino';

/** Structured logging: `log.info({ requestId }, 'message')`. pino's shape, so pino fits. */
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
 */
export function createLogger(
  level: string,
  format: LogFormat = 'json',
  isTerminal: () => boolean = () => Boolean(process.stdout.isTTY),
): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && isTerminal());
  const options = {
    level,
    base: { service: 'relaykit' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // File descriptor 1, as pino's default, named here so pino does not look at `process.stdout` to pick it.
  if (!pretty) return pino(options, pino.destination(1)) as unknown as Logger;
  const color = isTerminal() && !process.env.NO_COLOR;
  return pino(options, {
    write(line: string) {
      process.stdout.write(`${prettyLine(JSON.parse(line) as Record<string, unknown>, color)}\n`);
    },
  }) as unknown as Logger;
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
