import type { Message } from './types.ts';

/**
 * A message as the HTTP API sends it, serialized once. The message core keeps each
 * payload as the JSON text it stores; the hot routes splice that text into the
 * response instead of parsing it back and serializing it again, and answer with a
 * `Response`, which Elysia sends as it is (the route's response schema still
 * documents it). The bytes are those of `JSON.stringify(message)`: the stored text is
 * `JSON.stringify` output, which parsing and serializing again leaves unchanged.
 */

/** The fields a message is checked by (who may read it) before its body is sent. */
export type MessageHead = Pick<Message, 'from' | 'to' | 'channel'>;

/** A stored message: its head for access checks and its JSON, ready to send. */
export interface EncodedMessage {
  head: MessageHead;
  json: string;
}

/** The payload text of messages the core built from what it stored (never copied, collected with them). */
const payloadTexts = new WeakMap<Message, string>();

/** Remembers that `message.payload` serializes to `text` (what the store holds); returns the message. */
export function withPayloadText(message: Message, text: string): Message {
  payloadTexts.set(message, text);
  return message;
}

/** `JSON.stringify(message)`, reusing the payload's stored text when the core knows it. */
export function messageJson(message: Message): string {
  const payload = payloadTexts.get(message);
  if (payload === undefined) return JSON.stringify(message);
  return encodeFields(message, payload);
}

/** A `messages` row as a bare array, in the order the store selects its columns. */
export type StoredValues = [
  id: number,
  from: string | null,
  to: string | null,
  channel: string | null,
  type: string,
  payload: string,
  createdAt: number,
  expiresAt: number | null,
  deliveredAt: number | null,
  deliveredBy: string | null,
];

/**
 * The JSON of a message from its stored row (times in epoch ms, payload as JSON text),
 * in the key order of `Message`: byte for byte what `JSON.stringify` gives for the
 * message the store would have built.
 */
export function encodeStored(row: StoredValues): string {
  const [id, from, to, channel, type, payload, createdAt, expiresAt, deliveredAt] = row;
  return encodeFields(
    {
      id,
      from,
      to,
      channel,
      type,
      createdAt: isoTime(createdAt),
      expiresAt: expiresAt === null ? null : isoTime(expiresAt),
      deliveredAt: deliveredAt === null ? null : isoTime(deliveredAt),
    },
    payload,
  );
}

/** The message's JSON with `payload` (JSON text) spliced in, keys in the order of `Message`. */
function encodeFields(m: Omit<Message, 'payload'>, payload: string): string {
  return `{"id":${m.id},"from":${text(m.from)},"to":${text(m.to)},"channel":${text(m.channel)},"type":${quoted(m.type)},"payload":${payload},"createdAt":${quoted(m.createdAt)},"expiresAt":${text(m.expiresAt)},"deliveredAt":${text(m.deliveredAt)}}`;
}

function text(value: string | null): string {
  return value === null ? 'null' : quoted(value);
}

/** What `JSON.stringify` escapes in a string: quotes, backslashes, control characters and (lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(value)`; a string with nothing to escape (channel names, types, client ids) is only quoted. */
function quoted(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 9999-12-31T23:59:59.999Z + 1 ms: the last instant with a four-digit year. */
const YEAR_10000 = 253_402_300_800_000;
const DAY_MS = 86_400_000;

/**
 * `new Date(ms).toISOString()` for a whole number of ms from 1970 to the year 9999 (what
 * the store holds), without a `Date`: the civil date from the day number by Howard
 * Hinnant's `civil_from_days`. Anything else goes to `Date`. Held to `toISOString` by a
 * property test (test/kernel/message-encoding).
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}

/**
 * The content type Elysia gives objects it serializes: `Response.json`'s on Bun
 * (`application/json;charset=utf-8`) and `application/json` through its web-standard
 * adapter (Deno), which is also what Deno's `Response.json` writes. Asking the runtime
 * keeps the hot routes' header the same as every other JSON route's on both.
 * A Headers instance is copied into a Response faster than a plain object.
 */
const JSON_TYPE = Response.json(null).headers.get('content-type') ?? 'application/json';
const JSON_HEADERS = new Headers({ 'content-type': JSON_TYPE });

/** A JSON response with the content type Elysia gives objects it serializes (the Response gets its own copy of the headers). */
export function jsonResponse(json: string, status = 200, headers?: Record<string, string>): Response {
  if (headers) return new Response(json, { status, headers: { 'content-type': JSON_TYPE, ...headers } });
  return status === 200
    ? new Response(json, { headers: JSON_HEADERS })
    : new Response(json, { status, headers: JSON_HEADERS });
}

/**
 * A `Response` typed as the value its body encodes. Elysia sends a returned Response as
 * it is; typed this way, the route's inferred type (the exported `App`, Eden clients)
 * stays the message instead of `Response | Message`.
 */
export function asBody<T>(response: Response): T {
  return response as unknown as T;
}
