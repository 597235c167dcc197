/**
 * The Pusher Channels protocol, version 7: frame shapes, error and close codes, channel
 * name rules, and how a Pusher app's channels and events map to Relaykit messages.
 */

/** The protocol version served. pusher-js 8 connects with `?protocol=7`. */
export const PROTOCOL_VERSION = 7;

/**
 * Close and error codes with the meaning pusher-js gives them: 4000-4099 it does not
 * reconnect, 4100-4199 it reconnects after a back-off, 4200-4299 it reconnects at once.
 */
export const PusherCodes = {
  /** The app key is not served here. */
  appNotFound: 4001,
  /** The app is over its connection quota. */
  overQuota: 4004,
  /** The path is not `/app/{key}`. */
  pathNotFound: 4005,
  /** The `protocol` parameter is not a number. */
  invalidVersion: 4006,
  /** The `protocol` parameter names a version not served. */
  unsupportedVersion: 4007,
  /** No `protocol` parameter. */
  noVersion: 4008,
  /** Not authorized: bad origin, failed sign-in, terminated by the app's server, frame too large. */
  unauthorized: 4009,
  /** The server restarts (reconfigure, shutdown): reconnect now. */
  reconnect: 4200,
  /** No pong within the pong timeout after a server ping. */
  pongTimeout: 4201,
  /** Client event rejected: over the rate limit. */
  rateLimited: 4301,
} as const;

/** Pusher's channel names: up to 164 of these characters. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;
/** The channel a signed-in user receives `sendToUser` events on. */
export const USER_CHANNEL_PREFIX = '#server-to-user-';

export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted' | 'user';

/** Whether `name` is a channel name Pusher accepts. */
export function validChannelName(name: string): boolean {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return name.length <= 164 + USER_CHANNEL_PREFIX.length;
  return CHANNEL_NAME.test(name);
}

export function channelKind(name: string): ChannelKind {
  if (name.startsWith('private-encrypted-')) return 'encrypted';
  if (name.startsWith('private-')) return 'private';
  if (name.startsWith('presence-')) return 'presence';
  if (name.startsWith(USER_CHANNEL_PREFIX)) return 'user';
  return 'public';
}

// -- channel mapping ----------------------------------------------------------------
//
// App `app-1`'s channel `chat` is Relaykit channel `pusher.app-1.chat`. Pusher allows
// `= , ; #` in names where Relaykit does not; they are written `:3D :2C :3B :23` (`:`
// cannot occur in a Pusher name, so the mapping is reversible).

export const CHANNEL_PREFIX = 'pusher.';
const ESCAPES: Record<string, string> = { '=': ':3D', ',': ':2C', ';': ':3B', '#': ':23' };
const UNESCAPES: Record<string, string> = { ':3D': '=', ':2C': ',', ':3B': ';', ':23': '#' };

/** The Relaykit channel of a Pusher app's channel. */
export function relaykitChannel(appId: string, channel: string): string {
  return `${CHANNEL_PREFIX}${appId}.${channel.replace(/[=,;#]/g, (c) => ESCAPES[c] as string)}`;
}

/** The Pusher app and channel of a Relaykit channel, or null when it is no Pusher app's. */
export function pusherChannel(relaykit: string): { appId: string; channel: string } | null {
  if (!relaykit.startsWith(CHANNEL_PREFIX)) return null;
  const dot = relaykit.indexOf('.', CHANNEL_PREFIX.length);
  if (dot < 0) return null;
  const appId = relaykit.slice(CHANNEL_PREFIX.length, dot);
  const channel = relaykit.slice(dot + 1).replace(/:(3D|2C|3B|23)/g, (c) => UNESCAPES[c] as string);
  return { appId, channel };
}

// -- data mapping -------------------------------------------------------------------
//
// Pusher event data is a string (usually JSON). A Relaykit message's payload is the
// parsed JSON when the string is JSON of an object, array, number, boolean or null, and
// the string itself otherwise; going out, a string payload is sent as is and any other
// payload as its JSON. Client events, whose data pusher-js sends as a JSON value, keep it.

export function payloadOf(data: unknown): unknown {
  if (typeof data !== 'string') return data ?? null;
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'string' ? data : parsed;
  } catch {
    return data;
  }
}

export function dataOf(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}

// -- frames ---------------------------------------------------------------------------

/** A frame as pusher-js sends it. `data` is a JSON value or a string of JSON. */
export interface ClientFrame {
  event: string;
  channel?: string;
  data?: unknown;
}

/** Parses a client frame; null when it is not a JSON object with a string `event`. */
export function parseFrame(text: string): ClientFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const frame = value as Record<string, unknown>;
  if (typeof frame.event !== 'string') return null;
  if (frame.channel !== undefined && typeof frame.channel !== 'string') return null;
  return frame as unknown as ClientFrame;
}

/** Frames sent to clients: `data` is always a string, as the protocol says. */
export function frame(event: string, data: unknown, channel?: string, extra?: Record<string, string>): string {
  return JSON.stringify({
    event,
    ...(channel === undefined ? {} : { channel }),
    data: typeof data === 'string' ? data : JSON.stringify(data),
    ...extra,
  });
}

export function errorFrame(code: number | null, message: string): string {
  return frame('pusher:error', { code, message });
}

export function subscriptionError(channel: string, type: string, error: string, status: number): string {
  return frame('pusher:subscription_error', { type, error, status }, channel);
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
export function closeReason(text: string): string {
  return new TextEncoder().encode(text).byteLength <= 123 ? text : `${text.slice(0, 100)}...`;
}
