/**
 * `GET /stream/events` as an AsyncAPI 3 fragment (composed into `/asyncapi.json`): the
 * events a stream carries, the control events, resume and auth. Constants from the
 * shared wire definitions.
 */
import { NAME_PATTERN, NameLimits, SseControlEvents } from '../../clients/realtime/src/wire.ts';
import type { AsyncApiFragment } from '../../src/kernel/asyncapi.ts';

const list = (what: string) => ({ type: 'string', description: `Comma-separated ${what}` });

/** The `data:` of a message event (`data: envelope`, the default): the WebSocket `event` frame without `type`. */
const envelope = {
  type: 'object',
  required: ['channel', 'id', 'event', 'data', 'timestamp'],
  properties: {
    channel: { type: ['string', 'null'] },
    id: { type: ['integer', 'null'], description: 'The event-log id (also the SSE `id:`); null for system events' },
    event: { type: 'string', description: 'The message type (also the SSE `event:`)' },
    data: { description: 'The payload' },
    from: { type: ['string', 'null'] },
    to: { type: ['string', 'null'] },
    timestamp: { type: 'string', format: 'date-time' },
  },
};

/** The plugin's AsyncAPI fragment. */
export function sseAsyncApi(): AsyncApiFragment {
  return {
    servers: {
      http: {
        protocol: 'http',
        description: 'The hub over HTTP (Server-Sent Events, text/event-stream)',
        security: [
          { $ref: '#/components/securitySchemes/sseBearer' },
          { $ref: '#/components/securitySchemes/sseQueryToken' },
        ],
      },
    },
    channels: {
      stream: {
        address: '/stream/events',
        title: 'Server-Sent Events',
        description:
          'One `text/event-stream` per client. Message events carry `id:` (the event-log id), `event:` (the message type) and `data:` (JSON). Reconnect with `Last-Event-ID` (or `last_event_id`) to resume: the missed events, then live, each once, in id order. Control events carry no `id:`. A `: heartbeat` comment every `heartbeatMs`.',
        servers: [{ $ref: '#/servers/http' }],
        messages: {
          message: { $ref: '#/components/messages/SseMessage' },
          connected: { $ref: '#/components/messages/SseConnected' },
          gap: { $ref: '#/components/messages/SseGap' },
        },
      },
    },
    operations: {
      receiveSseEvent: {
        action: 'receive',
        title: 'Stream events',
        channel: { $ref: '#/channels/stream' },
        messages: [
          { $ref: '#/channels/stream/messages/connected' },
          { $ref: '#/channels/stream/messages/gap' },
          { $ref: '#/channels/stream/messages/message' },
        ],
        bindings: {
          http: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                client_id: { type: 'string', maxLength: NameLimits.clientId, pattern: NAME_PATTERN },
                channels: list(
                  'channel names; `$hub:<pattern>` system channels and `*` need the admin token or `system`',
                ),
                subscribe: list('message types to receive (absent: every type)'),
                last_event_id: { type: 'integer', description: 'Resume after this id (the Last-Event-ID header wins)' },
                token: { type: 'string', description: 'A JWT, for EventSource (which cannot send headers)' },
              },
            },
          },
        },
      },
    },
    components: {
      messages: {
        SseMessage: {
          name: 'message',
          title: 'A message (or a `$hub:` system event, `id` null)',
          headers: {
            type: 'object',
            properties: { id: { type: 'integer' }, event: { type: 'string', description: 'The message type' } },
          },
          payload: envelope,
        },
        SseConnected: {
          name: SseControlEvents.connected,
          title: 'First event of every stream',
          payload: {
            type: 'object',
            required: ['client_id', 'stream_id', 'channels', 'subscribe', 'last_event_id'],
            properties: {
              client_id: { type: 'string' },
              stream_id: { type: 'integer' },
              channels: { type: 'array', items: { type: 'string' } },
              subscribe: { type: ['array', 'null'], items: { type: 'string' } },
              last_event_id: { type: ['integer', 'null'] },
            },
          },
        },
        SseGap: {
          name: SseControlEvents.gap,
          title: 'The resume point is older than retention, or unknown to this hub',
          payload: {
            type: 'object',
            required: ['last_event_id', 'horizon', 'reason'],
            properties: {
              last_event_id: { type: 'integer' },
              horizon: { type: 'integer' },
              reason: { enum: ['retention', 'unknown'] },
            },
          },
        },
      },
      securitySchemes: {
        sseBearer: { type: 'http', scheme: 'bearer', description: 'A JWT or the admin token' },
        sseQueryToken: { type: 'httpApiKey', in: 'query', name: 'token', description: 'A JWT (not the admin token)' },
      },
    },
  };
}
