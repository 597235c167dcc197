/**
 * One log record as one JSON line, byte for byte what pino 10 writes with the hub's
 * options (`formatters.level` giving the label, `isoTime`, `base: { service }`, the
 * standard error serializer under `err`): the format is a contract with log shippers,
 * and `test/kernel/log-line.test.ts` holds it to pino's own output. Written here
 * because loading and instantiating pino (its worker-thread transport, sonic-boom and
 * their Node modules) was about 7% of the binary's cold start, for a few lines of JSON.
 */
import { err as serializeError } from 'pino-std-serializers';
import { configure } from 'safe-stable-stringify';

/** The fallback when JSON.stringify throws (a cycle, a BigInt): pino's, with its depth and breadth limits. */
const stringifySafe = configure({ maximumDepth: 5, maximumBreadth: 100 });

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

/** pino's `asString`: a JSON string, escaping by hand the quotes and backslashes of short strings. */
function asString(str: string): string {
  if (str.length > 100) return JSON.stringify(str);
  let result = '';
  let last = 0;
  let found = false;
  let point = 255;
  for (let i = 0; i < str.length && point >= 32; i++) {
    point = str.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += `${str.slice(last, i)}\\`;
      last = i;
      found = true;
    }
  }
  result = found ? result + str.slice(last) : str;
  return point < 32 ? JSON.stringify(str) : `"${result}"`;
}

/** pino's `stringify`: JSON.stringify, then the cycle-safe one, then a fixed string. */
function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    try {
      return stringifySafe(value);
    } catch {
      return '"[unable to serialize, circular reference is too complex to analyze]"';
    }
  }
}

/** One value as pino writes it, or undefined when pino leaves the key out. */
function jsonValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
    case 'function':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return String(value);
    case 'string':
      return asString(value);
    default:
      return stringify(value);
  }
}

/** `,"key":value` for each binding of a child logger (pino serializes every binding with `stringify`). */
export function bindingsJson(bindings: Record<string, unknown>): string {
  let out = '';
  for (const key in bindings) {
    const value = bindings[key];
    // pino refuses these names as bindings.
    if (key === 'level' || key === 'serializers' || key === 'formatters' || key === 'customLevels') continue;
    if (!Object.hasOwn(bindings, key) || value === undefined) continue;
    const json = stringify(key === 'err' ? serializeError(value as Error) : value);
    if (json !== undefined) out += `,${asString(key)}:${json}`;
  }
  return out;
}

/**
 * The line for `log[level](obj, msg)`: `{"level":…,"time":…` then the bindings, then
 * the object's fields, then `msg`. An Error as `obj` goes under `err`, and without a
 * `msg` its message is the line's; a string `obj` is the message.
 */
export function logLine(
  level: LevelName,
  time: number,
  bindings: string,
  obj: object | string | null | undefined,
  msg?: string,
): string {
  let fields: Record<string, unknown>;
  let message: unknown = msg;
  if (typeof obj === 'string') {
    fields = {};
    message = obj;
  } else if (obj === undefined || obj === null) {
    fields = {};
    // pino: `log.info(null)` logs `"msg":null`.
    if (obj === null && message === undefined) message = null;
  } else if (obj instanceof Error) {
    fields = { err: obj };
    if (message === undefined) message = obj.message;
  } else {
    fields = obj as Record<string, unknown>;
    const err = fields.err as { message?: unknown } | undefined;
    if (message === undefined && fields.msg === undefined && err) message = err.message;
  }
  let line = `{"level":"${level}","time":"${new Date(time).toISOString()}"${bindings}`;
  for (const key in fields) {
    let value = fields[key];
    if (!Object.hasOwn(fields, key) || value === undefined) continue;
    if (key === 'err') value = serializeError(value as Error);
    const json = jsonValue(value);
    if (json !== undefined) line += `,${asString(key)}:${json}`;
  }
  if (message !== undefined && typeof message !== 'function') {
    const json = typeof message === 'string' ? asString(message) : jsonValue(message);
    line += `,"msg":${json}`;
  }
  return `${line}}\n`;
}
