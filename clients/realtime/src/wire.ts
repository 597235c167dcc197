/**
 * The wire definitions of Relaykit's realtime transports: the one place the hub's
 * ws-channels and sse plugins, this SDK, the AsyncAPI document (`/asyncapi.json`) and the
 * Python SDK's constants (checked by a drift test) take them from. Dependency-free, so it
 * ships inside @relaykit/realtime.
 *
 * `/ws` frames are JSON text frames: an object whose string `type` names the frame
 * (the envelope). A client frame may carry a request `id` (a string of at most
 * `NameLimits.requestId` characters, or an integer) that the reply echoes; `event`
 * frames never echo request ids, their `id` is the event-log id. Field names are
 * snake_case.
 */

/** Close codes of `/ws` (1xxx standard, 4xxx Relaykit's). */
export const CloseCodes = {
  normal: 1000,
  tooBig: 1009,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  idleTimeout: 4000,
  unauthorized: 4001,
  forbidden: 4003,
  slowConsumer: 4008,
  rateLimited: 4029,
} as const;

export type CloseCodeName = keyof typeof CloseCodes;

/** Why the hub closes with each code, and what a client does about it. */
export const CloseCodeMeanings: Record<CloseCodeName, { reason: string; client: string }> = {
  normal: { reason: 'Normal closure', client: 'Nothing' },
  tooBig: { reason: 'A frame over maxFrameBytes', client: 'Send smaller frames' },
  serviceRestart: {
    reason: 'ws-channels restarting (reconfigured, disabled or hub shutdown)',
    client: 'Reconnect with backoff and resume with `since`',
  },
  tryAgainLater: { reason: 'maxConnections reached', client: 'Retry later' },
  idleTimeout: { reason: 'Nothing received, not even a pong', client: 'Reconnect and resume' },
  unauthorized: {
    reason: 'Missing, invalid or expired token; no `auth` frame in time',
    client: 'Get a fresh token, then reconnect',
  },
  forbidden: { reason: '`client_id` differs from the token subject, or is invalid', client: 'Fix the request' },
  slowConsumer: {
    reason: 'The send buffer went over sendBufferBytes',
    client: 'Reconnect and resume with `since`: nothing is lost',
  },
  rateLimited: {
    reason:
      'Over a quota: this identity or IP holds too many connections (limits.connectionsPerIdentity, limits.connectionsPerIp)',
    client: 'Close another connection, or reconnect after a backoff of at least 5 seconds',
  },
};

/** Frames a client sends on `/ws`. */
export const ClientFrameTypes = ['auth', 'subscribe', 'unsubscribe', 'ping', 'get_subscriptions', 'publish'] as const;
/** Frames the hub sends on `/ws`. */
export const ServerFrameTypes = [
  'connected',
  'event',
  'subscribed',
  'unsubscribed',
  'subscriptions',
  'pong',
  'published',
  'error',
] as const;

export type ClientFrameType = (typeof ClientFrameTypes)[number];
export type ServerFrameType = (typeof ServerFrameTypes)[number];

/** Channel names, client ids and message types: a letter or digit first, then these characters. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:@/\\-]*$';

/** Length limits of names on the wire (characters). */
export const NameLimits = {
  /** Channel names (ws-channels' `maxChannelNameLength` may lower it). */
  channel: 200,
  clientId: 128,
  /** Message types. */
  type: 128,
  /** A request id given as a string. */
  requestId: 64,
} as const;

/** `$hub:<event pattern>` channels carry the hub's own events: live only, `id` null. */
export const SYSTEM_CHANNEL_PREFIX = '$hub:';

/** SSE control events (no `id:`, so they never move the resume point); `relaykit.` types are reserved. */
export const SseControlEvents = {
  /** First event of every stream: who the client is and what it receives. */
  connected: 'relaykit.connected',
  /** The resume point is older than retention (or unknown): messages may have been lost. */
  gap: 'relaykit.gap',
} as const;
