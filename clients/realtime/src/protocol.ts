/**
 * The frame and event types of Relaykit's realtime transports, as the SDK sees them
 * (docs/protocols/ws.md, docs/plugins/sse.md; the hub serves them as an AsyncAPI
 * document at `/asyncapi.json`). The constants they share with the hub (close codes,
 * frame types, name rules) are in wire.ts.
 */

/** A request id a client frame may carry; the reply echoes it. */
export type RequestId = string | number;

/** Message types by name, for typed handlers: `{ "order.created": { sku: string } }` (any object type, interfaces included). */
export type EventMap = Record<string, unknown>;

/**
 * One event, whatever the transport: a stored message (with its event-log `id`), a
 * broadcast, or a hub event on a `$hub:` system channel (`id` null: live only).
 */
export interface RealtimeEvent<T = unknown, K extends string = string> {
  /** The message's id in the hub's event log (the resume cursor); null for system events. */
  id: number | null;
  /** The channel it was posted on (null for a direct message or a broadcast to everyone). */
  channel: string | null;
  /** The message type (`order.created`) or the hub event's name (`plugin.enabled`). */
  event: K;
  data: T;
  /** The sender's client id, when it had one. */
  from: string | null;
  /** The addressee's client id, for a direct message. */
  to: string | null;
  /** When the hub stored it (ISO 8601). */
  timestamp: string;
}

/** Any event of the map `E`, discriminated by `event`. */
export type AnyEvent<E extends object> = { [K in keyof E & string]: RealtimeEvent<E[K], K> }[keyof E & string];

// ---- WebSocket frames (docs/protocols/ws.md) ----

export interface ConnectedFrame {
  type: 'connected';
  id?: RequestId;
  client_id: string;
  auth: 'anonymous' | 'jwt' | 'key' | 'admin';
  system: boolean;
  /** Whether a reconnect may ask for `client_id` again (false for anonymous clients of a hub with keys or JWTs). */
  keeps_id?: boolean;
  /** The newest event-log id when the connection opened. */
  last_id: number;
  heartbeat_ms: number;
  max_frame_bytes: number;
  server_time: string;
}

export interface EventFrame {
  type: 'event';
  channel: string | null;
  id: number | null;
  event: string;
  data: unknown;
  from?: string | null;
  to?: string | null;
  timestamp: string;
}

export interface SubscribedFrame {
  type: 'subscribed';
  id?: RequestId;
  channels: string[];
  since?: number;
  /** False when some events could not be replayed (older than retention, or another database). */
  recovered?: boolean;
  replayed?: number;
}

export interface UnsubscribedFrame {
  type: 'unsubscribed';
  id?: RequestId;
  channels: string[];
}

export interface SubscriptionsFrame {
  type: 'subscriptions';
  id?: RequestId;
  channels: string[];
}

export interface PongFrame {
  type: 'pong';
  id?: RequestId;
  server_time: string;
}

export interface PublishedFrame {
  type: 'published';
  id?: RequestId;
  channel: string;
  message_id: number;
}

export interface ErrorFrame {
  type: 'error';
  id?: RequestId;
  code: string;
  message: string;
  details?: unknown;
}

export type ServerFrame =
  | ConnectedFrame
  | EventFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | SubscriptionsFrame
  | PongFrame
  | PublishedFrame
  | ErrorFrame;

/** An `event` frame as the transport-neutral RealtimeEvent. */
export function eventFromFrame(frame: EventFrame): RealtimeEvent {
  return {
    id: frame.id,
    channel: frame.channel,
    event: frame.event,
    data: frame.data,
    from: frame.from ?? null,
    to: frame.to ?? null,
    timestamp: frame.timestamp,
  };
}

export type ClientFrame =
  | { type: 'subscribe'; id?: RequestId; channels: string[]; since?: number }
  | { type: 'unsubscribe'; id?: RequestId; channels: string[] }
  | { type: 'ping'; id?: RequestId }
  | { type: 'get_subscriptions'; id?: RequestId }
  | { type: 'publish'; id?: RequestId; channel: string; event?: string; payload?: unknown; to?: string };

export { CloseCodes } from './wire.ts';

// ---- SSE events (docs/plugins/sse.md) ----

/** `relaykit.connected`: the first event of every stream. */
export interface SseConnectedData {
  client_id: string;
  stream_id: number;
  channels: string[];
  subscribe: string[] | null;
  last_event_id: number | null;
}

/** `relaykit.gap`: the resume point is older than retention (or unknown to this hub). */
export interface SseGapData {
  last_event_id: number;
  horizon: number;
  reason: 'retention' | 'unknown';
}

/**
 * The default (`data: envelope`) payload of an SSE event: the WebSocket `event` frame
 * without its `type` (`id` null for system events).
 */
export type SseEnvelope = Omit<EventFrame, 'type'>;
