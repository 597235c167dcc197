import { HubError } from './errors.ts';

/** Default deepest nesting of arrays and objects accepted in a JSON body or frame. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting in a JSON text, or -1 as soon as it passes `max`. One linear
 * pass over the bytes (strings skipped) before the parser ever sees them: a body of
 * nested arrays cannot block the event loop or blow the stack, and a stored message
 * is never deeper than this, so reading it back is cheap too.
 */
export function jsonDepthWithin(bytes: Uint8Array | string, max: number): boolean {
  const text = typeof bytes === 'string';
  const length = bytes.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = text ? (bytes as string).charCodeAt(i) : (bytes as Uint8Array)[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return false;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return true;
}

/** The error for a body or frame nested deeper than `max`. */
export function tooDeep(max: number): HubError {
  return new HubError('RELAYKIT_ERR_JSON_TOO_DEEP', `JSON may nest arrays and objects at most ${max} levels deep`);
}

/**
 * Checks a parsed payload for values JSON cannot carry faithfully: numbers that
 * overflowed to Infinity (`1e999` would be stored as null) and strings with lone
 * UTF-16 surrogates (strict parsers downstream reject them). Throws a 422 naming the
 * JSON pointer of the first one.
 */
export function assertFaithfulJson(value: unknown, path = ''): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw unfaithful(path, 'a number too large for JSON (it would be stored as null)');
    return;
  }
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw unfaithful(path, 'a string with a lone UTF-16 surrogate');
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertFaithfulJson(value[i], `${path}/${i}`);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!isWellFormed(key)) throw unfaithful(path, 'a key with a lone UTF-16 surrogate');
      assertFaithfulJson(item, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  }
}

function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function unfaithful(path: string, what: string): HubError {
  return new HubError('RELAYKIT_ERR_VALIDATION', `payload${path}: ${what}`, [
    { in: 'body', path: `/payload${path}`, message: what },
  ]);
}
