import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { issuesFromErrors } from '../../src/config/errors.ts';
import { defineErrors, type HubError } from '../../src/kernel/errors.ts';
import type { Message } from '../../src/messages/types.ts';

/**
 * The /ws protocol: JSON text frames, each an object whose `type` names it.
 * docs/protocols/ws.md shows an example of every frame.
 */

/** Close codes the server uses. 1xxx are standard; 4xxx are Relaykit's own. */
export const CloseCodes = {
  /** A plugin restart or shutdown: reconnect and resume with `since`. */
  serviceRestart: 1012,
  /** A frame larger than `maxFrameBytes`. */
  tooBig: 1009,
  /** `maxConnections` reached: try again later. */
  tryAgainLater: 1013,
  /** The client sent nothing, not even a pong, for `heartbeat.idleTimeoutMs`. */
  idleTimeout: 4000,
  /** Missing, invalid or expired token. */
  unauthorized: 4001,
  /** A valid token that does not allow this (e.g. `client_id` differs from its subject). */
  forbidden: 4003,
  /** The send buffer went over `sendBufferBytes`: reconnect and resume with `since`. */
  slowConsumer: 4008,
} as const;

export const WsErrors = defineErrors({
  RELAYKIT_ERR_WS_MALFORMED_FRAME: {
    status: 400,
    message: 'The frame is not a JSON object with a string `type` field',
  },
  RELAYKIT_ERR_WS_UNKNOWN_FRAME: { status: 400, message: 'Unknown frame type' },
  RELAYKIT_ERR_WS_INVALID_FRAME: { status: 422, message: 'The frame does not match its schema' },
  RELAYKIT_ERR_WS_CHANNEL_INVALID: { status: 422, message: 'The channel name is not valid here' },
  RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN: { status: 403, message: 'The token does not allow this channel' },
  RELAYKIT_ERR_WS_PUBLISH_FORBIDDEN: { status: 403, message: 'This client may not publish on this channel' },
  RELAYKIT_ERR_WS_TOO_MANY_SUBSCRIPTIONS: { status: 429, message: 'Too many subscriptions on this connection' },
  RELAYKIT_ERR_WS_ALREADY_AUTHENTICATED: {
    status: 409,
    message: '`auth` is only accepted as the first frame of a connection',
  },
});

const RequestId = Type.Union([Type.String({ maxLength: 64 }), Type.Integer()], {
  description: 'Echoed in the reply',
});
const ChannelList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 1000 });

const ClientFrames = {
  auth: Type.Object({ type: Type.Literal('auth'), id: Type.Optional(RequestId), token: Type.String({ minLength: 1 }) }),
  subscribe: Type.Object({
    type: Type.Literal('subscribe'),
    id: Type.Optional(RequestId),
    channels: ChannelList,
    since: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  unsubscribe: Type.Object({ type: Type.Literal('unsubscribe'), id: Type.Optional(RequestId), channels: ChannelList }),
  ping: Type.Object({ type: Type.Literal('ping'), id: Type.Optional(RequestId) }),
  get_subscriptions: Type.Object({ type: Type.Literal('get_subscriptions'), id: Type.Optional(RequestId) }),
  publish: Type.Object({
    type: Type.Literal('publish'),
    id: Type.Optional(RequestId),
    channel: Type.String({ minLength: 1, maxLength: 256 }),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@/\\-]*$' })),
    payload: Type.Optional(Type.Unknown()),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@/\\-]*$' })),
  }),
} satisfies Record<string, TSchema>;

export type FrameType = keyof typeof ClientFrames;
export type ClientFrame = { [K in FrameType]: Static<(typeof ClientFrames)[K]> }[FrameType];
export type RequestIdValue = Static<typeof RequestId>;

type Checkers = { [K in FrameType]: ReturnType<typeof TypeCompiler.Compile<(typeof ClientFrames)[K]>> };

/** Each frame type's validator, compiled when the first frame of that type arrives (not while the hub starts). */
const checkers: Partial<Checkers> = {};

function checkerFor<K extends FrameType>(type: K): Checkers[K] {
  checkers[type] ??= TypeCompiler.Compile(ClientFrames[type]) as Checkers[K];
  return checkers[type] as Checkers[K];
}

/** A parsed frame, or the error to answer with (and the request id to echo, when one was readable). */
export type Parsed = { ok: true; frame: ClientFrame } | { ok: false; id?: RequestIdValue; error: ProtocolError };

export interface ProtocolError {
  code: keyof typeof WsErrors;
  message: string;
  details?: unknown;
}

/** Parses and validates one text frame. */
export function parseFrame(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME', message: 'The frame is not valid JSON' } };
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as { type?: unknown }).type !== 'string'
  ) {
    return {
      ok: false,
      error: { code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME', message: WsErrors.RELAYKIT_ERR_WS_MALFORMED_FRAME.message },
    };
  }
  const record = value as Record<string, unknown>;
  const id = typeof record.id === 'string' || Number.isInteger(record.id) ? (record.id as RequestIdValue) : undefined;
  const type = record.type as string;
  if (!Object.hasOwn(ClientFrames, type)) {
    return {
      ok: false,
      id,
      error: {
        code: 'RELAYKIT_ERR_WS_UNKNOWN_FRAME',
        message: `Unknown frame type "${type.slice(0, 64)}" (expected one of ${Object.keys(ClientFrames).join(', ')})`,
      },
    };
  }
  const checker = checkerFor(type as FrameType);
  if (!checker.Check(value)) {
    const issues = issuesFromErrors(checker.Errors(value));
    const first = issues[0];
    return {
      ok: false,
      id,
      error: {
        code: 'RELAYKIT_ERR_WS_INVALID_FRAME',
        message: first ? `${type}: ${first.path || 'frame'} ${first.message}` : `${type}: invalid frame`,
        details: issues.slice(0, 10),
      },
    };
  }
  return { ok: true, frame: value as ClientFrame };
}

/** UTF-8 length of a frame, computed only when the character count leaves it in doubt. */
export function frameBytes(text: string, limit: number): number {
  if (text.length > limit || text.length * 3 <= limit) return text.length;
  return Buffer.byteLength(text, 'utf8');
}

type Reply = Record<string, unknown> & { type: string };

/** Serialises a reply, echoing the request id when there was one. */
export function reply(frame: Reply, id: RequestIdValue | undefined): string {
  return JSON.stringify(id === undefined ? frame : { ...frame, id });
}

export function errorFrame(error: ProtocolError | HubError, id: RequestIdValue | undefined): string {
  const details = 'details' in error && error.details !== undefined ? { details: error.details } : {};
  return reply({ type: 'error', code: error.code, message: error.message, ...details }, id);
}

/** The `event` frame of a stored message: its event-log id, type, data and timestamp. */
export function eventFrame(message: Message, channel = message.channel): string {
  return JSON.stringify({
    type: 'event',
    channel,
    id: message.id,
    event: message.type,
    data: message.payload,
    from: message.from,
    to: message.to,
    timestamp: message.createdAt,
  });
}

/** The `event` frame of a hub event on a system channel (no event-log id: live only). */
export function systemEventFrame(channel: string, name: string, payload: unknown, at: string): string {
  return JSON.stringify({ type: 'event', channel, id: null, event: name, data: payload, timestamp: at });
}
