import type { BackoffOptions, Timers, TokenSource } from './backoff.ts';
import type { HeartbeatOptions, WebSocketConstructor } from './connection.ts';
import type { ChannelHandlers, RealtimeError } from './handlers.ts';
import type { AnyEvent, ConnectedFrame } from './protocol.ts';
import type { Cursors } from './resume.ts';

/** The WebSocket client's options, lifecycle events and handles. */

export interface RealtimeClientOptions {
  /** The hub: `http://localhost:3000` (the client connects to `/ws`), or a full `ws(s)://…/ws` URL. */
  url: string;
  /** A JWT (or the admin token), or a function that returns one; see `TokenProvider`. Sent as `?token=`. */
  token?: TokenSource;
  /** The client id, for anonymous clients (with a JWT, its `sub` is the id). */
  clientId?: string;
  /** Channels to subscribe to from the first connection on. */
  channels?: string[];
  /** Where to resume from (a `cursors()` snapshot you persisted). */
  cursors?: Partial<Cursors>;
  /** The WebSocket implementation; default the global one. Node 20 has none: pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff; `false` never reconnects. */
  reconnect?: Partial<BackoffOptions> | false;
  /** Dead-connection detection; `false` turns it off. */
  heartbeat?: Partial<HeartbeatOptions> | false;
  /** Time for a connection attempt to be answered by `connected`. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Time a request (subscribe, publish, ping) waits for its reply. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** Timer functions (default: the global ones); tests inject their own. */
  timers?: Timers;
  /** Random numbers in [0, 1) for the backoff jitter. */
  random?: () => number;
}

/** What `connected` reports once a connection is open and every subscription resumed. */
export interface ConnectedInfo {
  clientId: string;
  auth: ConnectedFrame['auth'];
  /** Whether the client may subscribe to `$hub:` system channels. */
  system: boolean;
  /** The newest event-log id when this connection opened. */
  lastId: number;
  /** False for the first connection, true after a reconnect. */
  reconnected: boolean;
  /** Events the resume replayed (after dropping those the client already had). */
  replayed: number;
}

export interface DisconnectedInfo {
  code: number;
  reason: string;
  /** False when the client stops: `close()`, no reconnect, or a refusal retrying cannot fix. */
  willReconnect: boolean;
}

export interface ClientLifecycle<E extends object> {
  connected: (info: ConnectedInfo) => void;
  disconnected: (info: DisconnectedInfo) => void;
  reconnecting: (info: { attempt: number; delayMs: number }) => void;
  error: (error: RealtimeError) => void;
  /** A resume could not replay everything (older than the hub's retention, or another database). */
  gap: (info: { channels: string[]; since: number }) => void;
  /** Every event, after duplicates are dropped. */
  event: (event: AnyEvent<E>) => void;
}

export type ClientState = 'idle' | 'connecting' | 'resuming' | 'open' | 'waiting' | 'closed';

/** A channel the client is subscribed to, with its own handlers. */
export interface Channel<E extends object> extends ChannelHandlers<E> {
  readonly name: string;
  /** Leaves the channel (its cursor is forgotten). */
  unsubscribe(): Promise<void>;
}
