import { type Static, Type } from '@sinclair/typebox';
import { secret } from '../../src/config/schema.ts';

/** One Pusher app: its credentials and the limits soketi and sockudo users expect per app. */
export const PusherApp = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9_-]{1,32}$',
      description: 'The app id the server SDKs send (`appId`), 1-32 characters of A-Z a-z 0-9 _ -',
    }),
    key: Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      description: 'The public key pusher-js connects with (`/app/{key}`) and the HTTP API signs with',
    }),
    secret: Type.String({
      default: '',
      description: 'The shared secret signing auth tokens, HTTP API requests and webhooks; empty: read `secretEnv`',
      ...secret,
    }),
    secretEnv: Type.String({
      default: '',
      description:
        'Name of an environment variable holding the secret, read when the plugin starts (used when `secret` is empty)',
    }),
    enableClientEvents: Type.Boolean({
      default: true,
      description: 'Whether `client-` events are accepted on private and presence channels',
    }),
    maxConnections: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Most simultaneous connections of the app (0 = no limit); over it new ones close with 4004',
    }),
    maxPresenceMembers: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Most distinct users in one presence channel; more are refused with `pusher:subscription_error`',
    }),
    maxPresenceMemberBytes: Type.Integer({
      minimum: 16,
      default: 2048,
      description: 'Largest `user_info` of a presence member, in bytes of JSON',
    }),
    maxEventPayloadBytes: Type.Integer({
      minimum: 64,
      default: 10_240,
      description: 'Largest event `data`, in bytes (HTTP API: 413; client events: `pusher:error`)',
    }),
    maxChannelsPerEvent: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 100,
      description: 'Most channels one `POST /apps/{id}/events` may name',
    }),
    maxSubscriptionsPerConnection: Type.Integer({
      minimum: 1,
      default: 1000,
      description: 'Most channels one connection may be subscribed to; more get `pusher:subscription_error`',
    }),
    clientEventsPerSecond: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'Client events one connection may send per second (as Pusher); more are refused with error 4301',
    }),
    allowedOrigins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Origins (e.g. `https://app.example.com`) allowed to connect; [] allows every origin. Others close with 4009',
    }),
    webhookEvents: Type.Array(
      Type.Union([
        Type.Literal('channel_occupied'),
        Type.Literal('channel_vacated'),
        Type.Literal('member_added'),
        Type.Literal('member_removed'),
        Type.Literal('client_event'),
      ]),
      {
        default: [],
        description:
          'Pusher webhook events the app produces, batched and signed as Pusher does; deliver them with a webhooks endpoint of format `raw` on event `pusher.webhook` (see docs/plugins/pusher.md)',
      },
    ),
  },
  { additionalProperties: false },
);

/** The pusher options, as written under `plugins.pusher` in relaykit.config.yaml. */
export const PusherOptions = Type.Object(
  {
    apps: Type.Array(PusherApp, {
      default: [],
      description: 'The Pusher apps served; each is isolated from the others (ids and keys must be unique)',
    }),
    activityTimeoutSeconds: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 120,
      description:
        'Told to clients in `connection_established`: they ping after this much silence; the server pings silent connections too',
    }),
    pongTimeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 30,
      description: 'After a server ping, how long a silent connection has to answer before it is closed with 4201',
    }),
    maxFrameBytes: Type.Integer({
      minimum: 1024,
      default: 65_536,
      description: 'Largest frame a client may send; a larger one closes the connection with 4009',
    }),
    webhookBatchMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 250,
      description: 'How long Pusher webhook events of an app gather into one batch (one `pusher.webhook` event)',
    }),
  },
  { default: {}, description: 'Pusher Channels protocol 7 and HTTP API for pusher-js, Laravel Echo and Pusher SDKs' },
);

export type PusherConfig = Static<typeof PusherOptions>;
export type PusherAppConfig = Static<typeof PusherApp>;
