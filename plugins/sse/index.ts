import { type Static, Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { NAME_PATTERN } from '../../src/messages/routes.ts';
import './errors.ts';
import { sseAsyncApi } from './asyncapi.ts';
import { sseHealthChecks } from './metrics.ts';
import { sseRoutes } from './routes.ts';
import { SseService } from './service.ts';

export type { GapNotice, MessageEnvelope, SystemEnvelope } from './protocol.ts';
export { ControlEvents } from './protocol.ts';
export type { CloseReason } from './stream.ts';

/** Options of the sse plugin (`plugins.sse` in relaykit.config.yaml). */
export const SseOptions = Type.Object(
  {
    retryMs: Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      default: 2000,
      description: 'Reconnection delay hint (`retry:`) sent first on every stream, in ms',
    }),
    heartbeatMs: Type.Integer({
      minimum: 1000,
      default: 15_000,
      description: 'Interval of the heartbeat comment that keeps idle streams open through proxies, in ms',
    }),
    maxQueueBytes: Type.Integer({
      minimum: 4096,
      default: 1_048_576,
      description:
        'Bytes a stream may hold for a client that reads too slowly; past it the stream is closed and the client resumes by Last-Event-ID',
    }),
    maxStreams: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: 'Most open streams; further requests get 503',
    }),
    maxChannels: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 64,
      description: 'Most channels one stream may ask for',
    }),
    maxTypes: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 64,
      description: 'Most message types in one `subscribe` filter',
    }),
    replayPageSize: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'Messages read from the event log per page when a stream resumes',
    }),
    broadcastChannel: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: NAME_PATTERN,
      default: 'broadcast',
      description: 'Channel every stream receives; POST /stream/broadcast sends on it',
    }),
    data: Type.Union([Type.Literal('envelope'), Type.Literal('payload')], {
      default: 'envelope',
      description:
        '`envelope`: `data:` is {channel, id, event, data, from, to, timestamp} (the WebSocket event frame without `type`); `payload`: the message payload alone',
    }),
    auth: Type.Object(
      {
        queryToken: Type.Boolean({
          default: true,
          description: 'Accept a JWT as `?token=` (EventSource cannot send headers)',
        }),
        cookieName: Type.String({
          maxLength: 128,
          default: 'relaykit_token',
          description: 'Cookie that may carry the JWT (empty: ignore cookies)',
        }),
      },
      { default: {}, additionalProperties: false, description: 'Where stream requests may carry their token' },
    ),
  },
  { default: {}, description: 'Server-Sent Events: live messages and hub events for browsers, resumable' },
);

export type SseOptions = Static<typeof SseOptions>;

/**
 * The sse plugin: `GET /stream/events` streams the hub's messages (and, for clients
 * allowed to, its own events as `$hub:` channels) as Server-Sent Events, resuming
 * from the event log after Last-Event-ID. Management under `/stream/*`.
 */
export default definePlugin({
  name: 'sse',
  description: 'Server-Sent Events at /stream/events with Last-Event-ID resume from the event log',
  options: SseOptions,
  consumes: ['message.sent'],
  emits: ['client.connected', 'client.disconnected', 'channel.occupied', 'channel.vacated'],
  setup(ctx) {
    const service = new SseService(ctx, ctx.options);
    return {
      start: () => service.start(),
      stop: (reason) => service.stop(reason),
      routes: () => sseRoutes(service, ctx.messages, ctx.auth, ctx.log),
      health: () => sseHealthChecks(service, ctx.options),
      asyncapi: sseAsyncApi,
    };
  },
});
