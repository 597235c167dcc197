import { Elysia, t } from 'elysia';
import { remoteAddressOf } from '../../src/kernel/app.ts';
import type { AuthService } from '../../src/kernel/auth.ts';
import { Integer } from '../../src/kernel/integer.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import { ClusterChannelsSchema, ErrorResponse, errorResponses } from '../../src/kernel/schemas.ts';
import { MessageSchema, NAME_PATTERN } from '../../src/messages/routes.ts';
import type { MessageService } from '../../src/messages/service.ts';
import type { SseService } from './service.ts';
import type { SseStream } from './stream.ts';

const ClientId = t.String({ minLength: 1, maxLength: 128, pattern: NAME_PATTERN, description: 'A client id' });
const MessageType = t.String({
  minLength: 1,
  maxLength: 128,
  pattern: NAME_PATTERN,
  description: 'The message type: the `event:` name clients listen for',
});
const Ttl = Integer({ minimum: 1, description: 'Seconds until the message expires' });

const StreamQuery = t.Object(
  {
    client_id: t.Optional(ClientId),
    channels: t.Optional(
      t.String({
        maxLength: 16_384,
        description:
          'Comma-separated channels. `$hub:<event pattern>` are system channels and `*` is every message (admin token or `system` claim)',
      }),
    ),
    subscribe: t.Optional(
      t.String({ maxLength: 16_384, description: 'Comma-separated message types; only these reach the stream' }),
    ),
    last_event_id: t.Optional(
      t.String({ maxLength: 32, description: 'Resume after this id (the Last-Event-ID header takes precedence)' }),
    ),
    token: t.Optional(
      t.String({ maxLength: 16_384, description: 'A JWT, for browsers (EventSource sends no headers)' }),
    ),
  },
  // Other parameters (cache busters, the application's own) are ignored, not refused.
  { additionalProperties: true },
);

const Delivery = t.Object({
  message: MessageSchema,
  streams: Integer({ description: 'Open streams that received it live (the others get it when they resume)' }),
});

const StreamSummary = t.Object({
  stream_id: Integer(),
  via: t.Union([t.Literal('anonymous'), t.Literal('jwt'), t.Literal('key'), t.Literal('admin')]),
  channels: t.Array(t.String()),
  subscribe: t.Nullable(t.Array(t.String())),
  connected_at: t.String({ format: 'date-time' }),
  resumed_from: t.Nullable(Integer()),
  delivered: Integer({ description: 'Events written to the stream' }),
  queued_bytes: Integer({ description: 'Bytes the client has not taken yet' }),
  live: t.Boolean({ description: 'false while it still catches up from the event log' }),
});

const Stats = t.Object({
  streams: Integer({ description: 'Open streams' }),
  clients: Integer({ description: 'Distinct client ids with an open stream' }),
  channels: Integer({ description: 'Distinct channels with at least one stream' }),
  subscriptions: Integer({ description: 'Channel subscriptions over all streams' }),
  queued_bytes: Integer({ description: 'Bytes queued for clients over all streams' }),
  opened: Integer({ description: 'Streams opened since this instance started' }),
  delivered: t.Object({
    live: Integer({ description: 'Messages delivered live' }),
    replayed: Integer({ description: 'Messages replayed on resume' }),
    system: Integer({ description: 'System-channel events' }),
  }),
  slow_consumer_closes: Integer(),
  gaps: Integer({ description: 'Resumes that started with relaykit.gap' }),
  max_streams: Integer(),
  broadcast_channel: t.String(),
  cluster: t.Optional(ClusterChannelsSchema),
});

/** `/stream/*`: the event stream, the public statistics and the management routes. */
export function sseRoutes(service: SseService, messages: MessageService, auth: AuthService, log: Logger) {
  return new Elysia({ name: 'relaykit-sse', detail: { tags: ['sse'] } })
    .use(managementRoutes(service, messages, auth, log))
    .get('/stream/events', ({ request, query }) => service.open(request, query), {
      query: StreamQuery,
      // No `response` schemas: the handler returns its own Response (a byte stream), documented below.
      detail: {
        operationId: 'openSseStream',
        summary: 'Open a Server-Sent Events stream',
        description:
          'A text/event-stream of messages on the given channels and addressed to the client, as `id:` (event-log id), `event:` (message type) and `data:` (JSON). Resumes after the Last-Event-ID header (or `?last_event_id=`) from the event log without gap or duplicate; a resume older than retention starts with `event: relaykit.gap`. Token from the Authorization header, `?token=` or the token cookie.',
        responses: {
          200: {
            description: 'The event stream (see docs/plugins/sse.md)',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorDocs({
            400: 'Malformed query, filter or Last-Event-ID',
            401: 'Token missing (auth.jwt.required), invalid or expired',
            403: 'A channel the token does not allow, or client_id differing from the token subject',
            429: 'This identity or IP already holds limits.connectionsPerIdentity / connectionsPerIp streams and sockets',
            503: 'maxStreams reached',
          }),
        },
      },
    })
    .get('/stream/stats', async () => ({ ...stats(service), ...(await clusterStats(service)) }), {
      response: { 200: Stats },
      detail: {
        operationId: 'getSseStats',
        summary: 'Streaming statistics of this instance',
        description:
          'The counts describe this node; on a cluster, `cluster` adds channels and subscriptions per live node.',
      },
    });
}

/** `/stream/broadcast`, `/stream/send`, `/stream/clients`: admin token. */
function managementRoutes(service: SseService, messages: MessageService, auth: AuthService, log: Logger) {
  return new Elysia({
    name: 'relaykit-sse-admin',
    detail: { tags: ['sse'], security: [{ adminToken: [] }] },
  })
    .onBeforeHandle(function requireAdmin({ request }) {
      auth.requireAdmin(request);
    })
    .post(
      '/stream/broadcast',
      async function broadcast({ body, set }) {
        const message = await messages.send({
          channel: body.channel ?? service.settings.broadcastChannel,
          type: body.type,
          payload: body.data,
          ...(body.from === undefined ? {} : { from: body.from }),
          ...(body.ttl === undefined ? {} : { ttl: body.ttl }),
        });
        set.status = 201;
        return { message, streams: service.streams.countFor(message) };
      },
      {
        parse: 'json',
        body: t.Object(
          {
            type: MessageType,
            data: t.Unknown({ description: 'Any JSON value' }),
            channel: t.Optional(
              t.String({
                minLength: 1,
                maxLength: 200,
                pattern: NAME_PATTERN,
                description: 'Only this channel (default: the broadcast channel every stream receives)',
              }),
            ),
            from: t.Optional(ClientId),
            ttl: t.Optional(Ttl),
          },
          { additionalProperties: false },
        ),
        response: { 201: Delivery, ...errorResponses(400, 401, 403, 413, 415, 422) },
        detail: {
          operationId: 'broadcastSse',
          summary: 'Broadcast a message to every stream',
          description:
            'Stores the message on the broadcast channel (or `channel`) through the message core, so streams that are disconnected receive it when they resume.',
        },
      },
    )
    .post(
      '/stream/send',
      async function sendToClient({ body, set }) {
        const message = await messages.send({
          to: body.client_id,
          type: body.type,
          payload: body.data,
          ...(body.from === undefined ? {} : { from: body.from }),
          ...(body.ttl === undefined ? {} : { ttl: body.ttl }),
        });
        set.status = 201;
        return { message, streams: service.streams.countFor(message) };
      },
      {
        parse: 'json',
        body: t.Object(
          {
            client_id: ClientId,
            type: MessageType,
            data: t.Unknown({ description: 'Any JSON value' }),
            from: t.Optional(ClientId),
            ttl: t.Optional(Ttl),
          },
          { additionalProperties: false },
        ),
        response: { 201: Delivery, ...errorResponses(400, 401, 403, 413, 415, 422) },
        detail: {
          operationId: 'sendToSseClient',
          summary: 'Send a message to one client',
          description:
            'Stores the message addressed to `client_id` (also reaching its WebSocket connections); a client without an open stream gets it when it resumes.',
        },
      },
    )
    .delete(
      '/stream/clients/:clientId',
      function disconnectClient({ params, request }) {
        const streams = [...service.streams.all].filter((s) => s.info.clientId === params.clientId);
        for (const stream of streams) stream.end('operator');
        // Audited: who asked (the admin token's caller address) and what was closed.
        log.warn(
          {
            audit: 'client.disconnect',
            clientId: params.clientId,
            closed: streams.length,
            by: remoteAddressOf(request),
          },
          'an operator disconnected an SSE client',
        );
        return { clientId: params.clientId, closed: streams.length };
      },
      {
        params: t.Object({ clientId: t.String({ minLength: 1, maxLength: 128, description: 'The client id' }) }),
        response: {
          200: t.Object({
            clientId: t.String(),
            closed: Integer({ description: 'Streams ended (0 when the client had none)' }),
          }),
          ...errorResponses(400, 401, 403),
        },
        detail: {
          operationId: 'disconnectSseClient',
          summary: 'End every stream of a client',
          description:
            'The client may reconnect and resume with Last-Event-ID: to keep it out, revoke its token or key. Logged at warn level with the caller address.',
        },
      },
    )
    .get('/stream/clients', ({ query }) => clients(service, query.limit ?? 1000), {
      query: t.Object({
        limit: t.Optional(Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Most clients listed' })),
      }),
      response: {
        200: t.Object({
          total: Integer({ description: 'Distinct clients with an open stream' }),
          clients: t.Array(t.Object({ client_id: t.String(), streams: t.Array(StreamSummary) })),
        }),
        ...errorResponses(400, 401, 403),
      },
      detail: { operationId: 'listSseClients', summary: 'List connected clients and their streams' },
    });
}

/** OpenAPI entries for JSON errors of a route that returns its own Response. */
function errorDocs(statuses: Record<number, string>) {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: ErrorResponse } } },
    ]),
  );
}

function stats(service: SseService) {
  const { totals, settings, streams } = service;
  return {
    streams: streams.size,
    clients: streams.clientCount(),
    channels: streams.channelCount(),
    subscriptions: streams.subscriptionCount(),
    queued_bytes: service.queuedBytes(),
    opened: totals.opened,
    delivered: { live: totals.live, replayed: totals.replayed, system: totals.system },
    slow_consumer_closes: totals.slowConsumerCloses,
    gaps: totals.gaps,
    max_streams: settings.maxStreams,
    broadcast_channel: settings.broadcastChannel,
  };
}

async function clusterStats(service: SseService) {
  const cluster = await service.clusterChannels();
  return cluster ? { cluster } : {};
}

function clients(service: SseService, limit: number) {
  const byClient = new Map<string, SseStream[]>();
  for (const stream of service.streams.all) {
    const list = byClient.get(stream.info.clientId);
    if (list) list.push(stream);
    else byClient.set(stream.info.clientId, [stream]);
  }
  return {
    total: byClient.size,
    clients: [...byClient].slice(0, limit).map(([clientId, list]) => ({
      client_id: clientId,
      streams: list.map(summary),
    })),
  };
}

function summary(stream: SseStream) {
  const { info } = stream;
  return {
    stream_id: info.id,
    via: info.via,
    channels: [...info.channels, ...(info.all ? ['*'] : []), ...info.system.map((p) => `$hub:${p}`)],
    subscribe: info.types ? [...info.types] : null,
    connected_at: new Date(info.connectedAt).toISOString(),
    resumed_from: info.resumedFrom,
    delivered: stream.delivered,
    queued_bytes: stream.queuedBytes(),
    live: stream.live,
  };
}
