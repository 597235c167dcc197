/**
 * The `/ws` protocol as an AsyncAPI 3 fragment (composed into `/asyncapi.json`): every
 * client and server frame with its JSON Schema, the close codes and the token. The
 * client frames' schemas are the ones the plugin validates with; the constants come from
 * the shared wire definitions.
 */
import {
  CloseCodeMeanings,
  CloseCodes,
  NAME_PATTERN,
  NameLimits,
  type ServerFrameType,
} from '../../clients/realtime/src/wire.ts';
import type { AsyncApiFragment } from '../../src/kernel/asyncapi.ts';
import { ClientFrames } from './protocol.ts';

type Schema = Record<string, unknown>;

const requestId: Schema = {
  description: 'The request id of the client frame this answers',
  oneOf: [{ type: 'string', maxLength: NameLimits.requestId }, { type: 'integer' }],
};
const channels: Schema = { type: 'array', items: { type: 'string' } };
const name = (maxLength: number): Schema => ({ type: 'string', minLength: 1, maxLength, pattern: NAME_PATTERN });

function frame(type: ServerFrameType, properties: Record<string, Schema>, required: string[]): Schema {
  return {
    type: 'object',
    required: ['type', ...required],
    properties: { type: { const: type }, id: requestId, ...properties },
  };
}

/** The `event` frame; the SSE envelope is the same without `type`. */
export const EventFrameSchema: Schema = {
  type: 'object',
  required: ['type', 'channel', 'id', 'event', 'data', 'timestamp'],
  properties: {
    type: { const: 'event' },
    channel: { type: ['string', 'null'], description: 'Null for a direct message or a broadcast to everyone' },
    id: { type: ['integer', 'null'], description: 'The event-log id (the resume cursor); null for system events' },
    event: { type: 'string', description: 'The message type, or the hub event name on `$hub:` channels' },
    data: { description: 'The payload' },
    from: { type: ['string', 'null'] },
    to: { type: ['string', 'null'] },
    timestamp: { type: 'string', format: 'date-time' },
  },
};

const serverFrames: Record<ServerFrameType, Schema> = {
  connected: frame(
    'connected',
    {
      client_id: name(NameLimits.clientId),
      auth: { enum: ['anonymous', 'jwt', 'admin'] },
      system: { type: 'boolean', description: 'Whether system channels are allowed' },
      last_id: { type: 'integer', description: 'The newest event-log id now' },
      heartbeat_ms: { type: 'integer' },
      max_frame_bytes: { type: 'integer' },
      server_time: { type: 'string', format: 'date-time' },
    },
    ['client_id', 'auth', 'system', 'last_id', 'heartbeat_ms', 'max_frame_bytes', 'server_time'],
  ),
  event: EventFrameSchema,
  subscribed: frame(
    'subscribed',
    {
      channels,
      since: { type: 'integer' },
      recovered: { type: 'boolean', description: 'False: some events could not be replayed' },
      replayed: { type: 'integer' },
    },
    ['channels'],
  ),
  unsubscribed: frame('unsubscribed', { channels }, ['channels']),
  subscriptions: frame('subscriptions', { channels }, ['channels']),
  pong: frame('pong', { server_time: { type: 'string', format: 'date-time' } }, ['server_time']),
  published: frame('published', { channel: { type: 'string' }, message_id: { type: 'integer' } }, [
    'channel',
    'message_id',
  ]),
  error: frame(
    'error',
    { code: { type: 'string', description: 'A RELAYKIT_ERR_* code' }, message: { type: 'string' }, details: {} },
    ['code', 'message'],
  ),
};

const pascal = (type: string) => type.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
const closeCodes = Object.entries(CloseCodes)
  .map(([key, code]) => {
    const meaning = CloseCodeMeanings[key as keyof typeof CloseCodes];
    return `| ${code} | ${meaning.reason} | ${meaning.client} |`;
  })
  .join('\n');

/** The plugin's AsyncAPI fragment. */
export function wsAsyncApi(): AsyncApiFragment {
  const messages: Record<string, Record<string, unknown>> = {};
  const channelMessages: Record<string, { $ref: string }> = {};
  const refs = (kind: 'client' | 'server', types: readonly string[]) =>
    types.map((type) => ({ $ref: `#/channels/ws/messages/${kind}${pascal(type)}` }));
  for (const [type, schema] of Object.entries(ClientFrames)) {
    const key = `client${pascal(type)}`;
    messages[`Ws${pascal(type)}`] = { name: type, title: `${type} (client → hub)`, payload: schema };
    channelMessages[key] = { $ref: `#/components/messages/Ws${pascal(type)}` };
  }
  for (const [type, schema] of Object.entries(serverFrames)) {
    const key = `server${pascal(type)}`;
    messages[`Ws${pascal(type)}Frame`] = { name: type, title: `${type} (hub → client)`, payload: schema };
    channelMessages[key] = { $ref: `#/components/messages/Ws${pascal(type)}Frame` };
  }
  return {
    servers: {
      websocket: {
        protocol: 'ws',
        description: 'The hub (use wss behind TLS)',
        security: [{ $ref: '#/components/securitySchemes/wsToken' }],
      },
    },
    channels: {
      ws: {
        address: '/ws',
        title: 'WebSocket',
        description: `JSON text frames, each an object whose \`type\` names it; a client frame may carry a request \`id\` the reply echoes. Resume with \`subscribe {channels, since}\` after a reconnect. Close codes:\n\n| Code | Reason | Client |\n| --- | --- | --- |\n${closeCodes}`,
        servers: [{ $ref: '#/servers/websocket' }],
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                token: { type: 'string', description: 'A JWT or the admin token' },
                client_id: name(NameLimits.clientId),
              },
            },
          },
        },
        'x-close-codes': CloseCodes,
      },
    },
    operations: {
      sendWsFrame: {
        action: 'send',
        title: 'Client frames',
        channel: { $ref: '#/channels/ws' },
        messages: refs('client', Object.keys(ClientFrames)),
      },
      receiveWsFrame: {
        action: 'receive',
        title: 'Hub frames',
        channel: { $ref: '#/channels/ws' },
        messages: refs('server', Object.keys(serverFrames)),
      },
    },
    components: {
      messages,
      securitySchemes: {
        wsToken: {
          type: 'httpApiKey',
          in: 'query',
          name: 'token',
          description:
            'A JWT (claims: sub, channels, publish, system, exp) or the admin token; or an `auth` frame first',
        },
      },
    },
  };
}
