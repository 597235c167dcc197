import type { Message } from '../../src/messages/types.ts';

/**
 * The SSE wire format of Relaykit (text/event-stream, UTF-8), documented in
 * docs/plugins/sse.md. Every chunk is encoded once and shared by every stream it
 * goes to.
 *
 * - A message: `id: <event-log id>`, `event: <message type>`, `data: <JSON>`.
 * - A system event (`$hub:` channels): `event: <bus event name>`, `data: <JSON>`, no `id`
 *   (system events are not in the event log, so they never move the resume cursor).
 * - Control events the plugin itself sends, also without `id`: `relaykit.connected` and
 *   `relaykit.gap`.
 * - Comments (`: ...`) for heartbeats; a `retry:` hint first.
 */

/** Control events (the shared wire definitions); message types starting with `relaykit.` are reserved for them. */
export { SseControlEvents as ControlEvents } from '../../clients/realtime/src/wire.ts';

/** How message events carry their data. */
export type DataFormat = 'envelope' | 'payload';

/**
 * The JSON of a message event in the `envelope` format: the WebSocket transport's
 * `event` frame without its `type`, so clients read both transports alike.
 */
export interface MessageEnvelope {
  channel: string | null;
  /** The message's id in the event log (also the SSE `id:`). */
  id: number;
  /** The message type (also the SSE `event:`). */
  event: string;
  data: unknown;
  from: string | null;
  to: string | null;
  /** When the message was stored (ISO 8601). */
  timestamp: string;
}

/** The JSON of a system event (`$hub:` channels); `id` is null: system events are not in the event log. */
export interface SystemEnvelope {
  /** The system channel, e.g. `$hub:plugin.reconfigured`. */
  channel: string;
  id: null;
  /** The bus event's name (also the SSE `event:`). */
  event: string;
  data: unknown;
  timestamp: string;
}

/** The JSON of `relaykit.gap`. */
export interface GapNotice {
  /** The id the client resumed from. */
  last_event_id: number;
  /** Highest id retention may have removed (`retention`), or the newest id the hub has (`unknown`). */
  horizon: number;
  /** `retention`: messages after the resume point may have expired; `unknown`: the id is newer than any message. */
  reason: 'retention' | 'unknown';
}

const encoder = new TextEncoder();

/** Event names and ids go on one line: no CR/LF may reach the wire. */
function field(value: string): string {
  return value.replace(/[\r\n]/g, ' ');
}

export function encodeEvent(event: string, data: unknown, id?: number): Uint8Array<ArrayBuffer> {
  const head = id === undefined ? '' : `id: ${id}\n`;
  // JSON.stringify escapes newlines inside strings, so the data is always one line.
  return encoder.encode(`${head}event: ${field(event)}\ndata: ${JSON.stringify(data ?? null)}\n\n`);
}

export function encodeMessage(message: Message, format: DataFormat): Uint8Array<ArrayBuffer> {
  const data: unknown =
    format === 'payload'
      ? message.payload
      : ({
          channel: message.channel,
          id: message.id,
          event: message.type,
          data: message.payload,
          from: message.from,
          to: message.to,
          timestamp: message.createdAt,
        } satisfies MessageEnvelope);
  return encodeEvent(message.type, data, message.id);
}

export function encodeSystem(channel: string, event: string, payload: unknown, at: number): Uint8Array<ArrayBuffer> {
  return encodeEvent(event, {
    channel,
    id: null,
    event,
    data: payload,
    timestamp: new Date(at).toISOString(),
  } satisfies SystemEnvelope);
}

/** The reconnection delay hint, sent first. */
export function encodeRetry(ms: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`retry: ${ms}\n\n`);
}

/** A comment line: ignored by clients, keeps proxies and NATs from closing an idle stream. */
export const HEARTBEAT = encoder.encode(': heartbeat\n\n');
