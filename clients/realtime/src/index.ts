/**
 * @relaykit/realtime: Relaykit's realtime client for browsers, Bun, Deno and Node 20+.
 *
 * ```ts
 * import { RealtimeClient } from '@relaykit/realtime';
 * const hub = new RealtimeClient<{ 'order.created': { sku: string } }>({ url: 'http://localhost:3000', token });
 * hub.channel('orders').on('order.created', (e) => console.log(e.id, e.data.sku));
 * await hub.connect();
 * ```
 */

export {
  type BackoffOptions,
  backoffDelay,
  defaultBackoff,
  type Timers,
  type TokenProvider,
  type TokenSource,
} from './backoff.ts';
export {
  type Channel,
  type ClientLifecycle,
  type ClientState,
  type ConnectedInfo,
  type DisconnectedInfo,
  RealtimeClient,
  type RealtimeClientOptions,
} from './client.ts';
export type { HeartbeatOptions, WebSocketConstructor, WebSocketLike } from './connection.ts';
export { type ChannelHandlers, RealtimeError } from './handlers.ts';
export * from './protocol.ts';
export type { Cursors } from './resume.ts';
export {
  RealtimeStream,
  type RealtimeStreamOptions,
  type StreamConnectedInfo,
  type StreamLifecycle,
  type StreamState,
} from './sse.ts';
export { type EventSourceConstructor, type EventSourceLike, SseParser } from './sse-sources.ts';
export * from './wire.ts';
