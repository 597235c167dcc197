import { type Static, Type } from '@sinclair/typebox';

/** The ws-channels options, as written under `plugins.ws-channels` in relaykit.config.yaml. */
export const WsChannelsOptions = Type.Object(
  {
    maxFrameBytes: Type.Integer({
      minimum: 256,
      default: 65_536,
      description: 'Largest frame a client may send, in bytes; a larger one closes the connection with 1009',
    }),
    sendBufferBytes: Type.Integer({
      minimum: 4096,
      default: 1_048_576,
      description:
        'Bytes that may wait in one connection\'s send buffer; over it the client is closed with 4008 "slow consumer" and resumes with `since`',
    }),
    heartbeat: Type.Object(
      {
        intervalMs: Type.Integer({
          minimum: 100,
          default: 30_000,
          description:
            'How often the server pings every connection (WebSocket ping frames; clients answer by themselves)',
        }),
        idleTimeoutMs: Type.Integer({
          minimum: 100,
          default: 75_000,
          description: 'A connection that sent nothing (not even a pong) for this long is closed with 4000',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    authTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10_000,
      description:
        'When a token is required and was not in the URL, how long the server waits for the first `auth` frame before closing with 4001',
    }),
    channels: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description: 'Patterns of the channel names that exist (`*` matches any run of characters); others are refused',
    }),
    maxChannelNameLength: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 200,
      description: 'Longest channel name accepted',
    }),
    maxSubscriptions: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Most channels one connection may be subscribed to at once',
    }),
    maxConnections: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Most simultaneous connections (0 = no limit); over it new ones are closed with 1013',
    }),
    anonymousPublish: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description:
        'Patterns of channels anonymous clients may `publish` on (anonymous clients exist only while auth.jwt.required is false); [] forbids it',
    }),
    replayPageSize: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'Messages read from the database per step when a client resumes with `since`',
    }),
    statsRequireAdmin: Type.Boolean({
      default: true,
      description:
        'Whether GET /ws/status and GET /ws/channels need the admin token (they list client ids); POST /ws/broadcast always does',
    }),
  },
  { default: {}, description: 'WebSocket channels at /ws: subscribe, resume without loss, presence' },
);

export type WsChannelsConfig = Static<typeof WsChannelsOptions>;
