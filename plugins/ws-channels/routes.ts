import { Elysia, t } from 'elysia';
import { summarize } from '../../src/cluster/occupancy.ts';
import { isSystemChannel } from '../../src/kernel/access.ts';
import { remoteAddressOf } from '../../src/kernel/app.ts';
import { matchesPattern } from '../../src/kernel/bus.ts';
import { HubError } from '../../src/kernel/errors.ts';
import { Integer } from '../../src/kernel/integer.ts';
import { ClusterChannelsSchema, errorResponses } from '../../src/kernel/schemas.ts';
import { NAME_PATTERN } from '../../src/messages/routes.ts';
import { CloseCodes } from './protocol.ts';
import type { WsService } from './service.ts';

const ChannelName = t.String({ minLength: 1, maxLength: 200, pattern: NAME_PATTERN, description: 'A channel name' });

const PerNode = t.Record(t.String(), Integer(), {
  description: 'Distinct clients subscribed through each live node, by node id',
});

const Status = t.Object(
  {
    connections: Integer({ description: 'Open connections' }),
    clients: Integer({ description: 'Distinct client ids connected' }),
    channels: Integer({ description: 'Channels with at least one subscriber' }),
    subscriptions: Integer({ description: 'Channel subscriptions over all connections' }),
    catchingUp: Integer({ description: 'Connections replaying missed events' }),
    framesIn: Integer({ description: 'Frames received since the plugin started' }),
    framesOut: Integer({
      description: 'Frames sent since the plugin started (a publish counts once per subscriber)',
    }),
    slowConsumerCloses: Integer({ description: 'Connections closed with 4008 since the plugin started' }),
    lastId: Integer({ description: 'The newest event-log id delivered live' }),
    cluster: t.Optional(ClusterChannelsSchema),
  },
  { title: 'WsStatus', description: 'This node; `cluster` adds the whole cluster' },
);

const ChannelSummary = t.Object({
  name: t.String(),
  subscribers: Integer({ description: 'Connections subscribed on this node (live or catching up)' }),
  system: t.Boolean({ description: 'A `$hub:` channel carrying the hub’s own events' }),
  clients: t.Optional(Integer({ description: 'On a cluster: distinct clients subscribed on every live node' })),
  nodes: t.Optional(PerNode),
});

const ChannelDetail = t.Object(
  {
    name: t.String(),
    subscribers: Integer({ description: 'Connections subscribed on this node' }),
    clients: t.Array(t.String(), {
      description:
        'Client ids of the subscribers, sorted: on every node of a cluster (dead nodes drop out within seconds)',
    }),
    nodes: t.Optional(PerNode),
  },
  { title: 'WsChannel' },
);

/** `/ws/*`: status, presence and broadcast over the long-lived service. */
export function wsRoutes(svc: WsService) {
  const { auth } = svc.ctx;
  const statsGuard = function requireAdminForStats({ request }: { request: Request }) {
    if (svc.options.statsRequireAdmin) auth.requireAdmin(request);
  };
  const security = () => (svc.options.statsRequireAdmin ? [{ adminToken: [] }] : []);
  return new Elysia({ name: 'relaykit-ws-channels', detail: { tags: ['ws-channels'] } })
    .get(
      '/ws/status',
      async function wsStatus() {
        const clients = svc.byClient.size;
        const cluster = await svc.clusterChannels();
        return {
          connections: svc.sessions.size,
          clients,
          channels: svc.channels.size,
          subscriptions: svc.subscriptionCount(),
          catchingUp: [...svc.sessions].filter((s) => s.isCatchingUp()).length,
          framesIn: svc.framesIn,
          framesOut: svc.framesOut,
          slowConsumerCloses: svc.slowConsumerCloses,
          lastId: svc.busSeenId,
          ...(cluster ? { cluster: summarize(cluster) } : {}),
        };
      },
      {
        beforeHandle: statsGuard,
        response: { 200: Status, ...errorResponses(401, 403) },
        detail: {
          operationId: 'getWsStats',
          summary: 'WebSocket connections, subscriptions and frame counts',
          security: security(),
        },
      },
    )
    .get(
      '/ws/channels',
      async function listChannels({ query }) {
        const limit = query.limit ?? 1000;
        // On a cluster: the channels of every live node, with their clients per node.
        const cluster = await svc.clusterChannels(query.prefix ?? '');
        const everywhere = new Map(cluster?.map((c) => [c.channel, c]));
        const all = new Set([...svc.channels.keys(), ...everywhere.keys()]);
        const names = [...all]
          .filter((name) => (!query.prefix || name.startsWith(query.prefix)) && (!query.after || name > query.after))
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const channels = names.slice(0, limit).map((name) => {
          const shared = everywhere.get(name);
          return {
            name,
            subscribers: svc.channels.get(name)?.sessions.size ?? 0,
            system: isSystemChannel(name),
            ...(cluster ? { clients: shared?.clients ?? 0, nodes: shared?.nodes ?? {} } : {}),
          };
        });
        const nextCursor = names.length > limit ? (channels.at(-1)?.name ?? null) : null;
        let total = svc.channels.size;
        if (cluster) {
          const every = query.prefix ? ((await svc.clusterChannels()) ?? []) : cluster;
          total = new Set([...svc.channels.keys(), ...every.map((c) => c.channel)]).size;
        }
        return { channels, total, nextCursor };
      },
      {
        beforeHandle: statsGuard,
        query: t.Object({
          prefix: t.Optional(t.String({ description: 'Only channels whose name starts with this' })),
          after: t.Optional(t.String({ description: 'Cursor: only channels whose name sorts after this' })),
          limit: t.Optional(Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
        }),
        response: {
          200: t.Object({
            channels: t.Array(ChannelSummary),
            total: Integer({
              description: 'Channels with subscribers, whatever the filter (on a cluster: on any live node)',
            }),
            nextCursor: t.Nullable(t.String({ description: 'Pass as `after` for the next page; null on the last' })),
          }),
          ...errorResponses(400, 401, 403),
        },
        detail: {
          operationId: 'listWsChannels',
          summary: 'Channels that have subscribers, by name',
          description:
            'On a cluster: the channels of every live node, each with `clients` (distinct, cluster-wide) and `nodes` (clients per node); `subscribers` counts this node’s connections.',
          security: security(),
        },
      },
    )
    .get(
      '/ws/channels/:channel',
      async function channelPresence({ params }) {
        const state = svc.channels.get(params.channel);
        const cluster = await svc.clusterChannels(params.channel);
        return {
          name: params.channel,
          subscribers: state?.sessions.size ?? 0,
          clients: await svc.clientsOf(params.channel),
          ...(cluster ? { nodes: cluster.find((c) => c.channel === params.channel)?.nodes ?? {} } : {}),
        };
      },
      {
        beforeHandle: statsGuard,
        params: t.Object({ channel: t.String({ minLength: 1, description: 'Channel name (URL-encoded)' }) }),
        response: { 200: ChannelDetail, ...errorResponses(400, 401, 403) },
        detail: {
          operationId: 'getWsChannel',
          summary: 'Who is subscribed to a channel',
          description: 'Channels exist on first use: a channel nobody subscribes to has no subscribers.',
          security: security(),
        },
      },
    )
    .delete(
      '/ws/clients/:clientId',
      function disconnectClient({ params, request }) {
        const sessions = [...svc.byClient.get(params.clientId)];
        for (const session of sessions) svc.close(session, CloseCodes.normal, 'disconnected by an operator');
        // Audited: who asked (the admin token's caller address) and what was closed.
        svc.ctx.log.warn(
          {
            audit: 'client.disconnect',
            clientId: params.clientId,
            closed: sessions.length,
            by: remoteAddressOf(request),
          },
          'an operator disconnected a WebSocket client',
        );
        return { clientId: params.clientId, closed: sessions.length };
      },
      {
        beforeHandle: function requireAdmin({ request }) {
          auth.requireAdmin(request);
        },
        params: t.Object({ clientId: t.String({ minLength: 1, maxLength: 128, description: 'The client id' }) }),
        response: {
          200: t.Object({
            clientId: t.String(),
            closed: Integer({ description: 'Connections closed (0 when the client had none)' }),
          }),
          ...errorResponses(400, 401, 403),
        },
        detail: {
          operationId: 'disconnectWsClient',
          summary: "Close every WebSocket connection of a client (code 1000, 'disconnected by an operator')",
          description:
            'The client may reconnect and resume: to keep it out, revoke its token or key. Logged at warn level with the caller address.',
          security: [{ adminToken: [] }],
        },
      },
    )
    .post(
      '/ws/broadcast',
      async function broadcast({ body, set }) {
        if (
          body.channel !== undefined &&
          !svc.options.channels.some((p) => matchesPattern(p, body.channel as string))
        ) {
          throw new HubError('RELAYKIT_ERR_WS_CHANNEL_INVALID', `No channel "${body.channel}" exists on this hub`);
        }
        const recipients =
          body.channel === undefined ? svc.sessions.size : (svc.channels.get(body.channel)?.sessions.size ?? 0);
        const message = await svc.ctx.messages.send({
          ...(body.channel === undefined ? {} : { channel: body.channel }),
          type: body.type,
          payload: body.data ?? null,
        });
        set.status = 201;
        return { id: message.id, channel: message.channel, recipients };
      },
      {
        beforeHandle: function requireAdmin({ request }) {
          auth.requireAdmin(request);
        },
        parse: 'json',
        body: t.Object(
          {
            channel: t.Optional(ChannelName),
            type: t.String({ minLength: 1, maxLength: 128, pattern: NAME_PATTERN, description: 'The event type' }),
            data: t.Optional(t.Unknown({ description: 'Any JSON value' })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: t.Object({
            id: Integer({ description: 'The event-log id' }),
            channel: t.Nullable(t.String()),
            recipients: Integer({ description: 'WebSocket connections it was addressed to when sent' }),
          }),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
        detail: {
          operationId: 'broadcastWs',
          summary: 'Send an event to a channel, or to every WebSocket client',
          description:
            'With `channel`, the event is stored like any message on that channel and reaches its subscribers (and resumes). Without, it is stored and sent live to every connected WebSocket client; it belongs to no channel, so resumes do not replay it.',
          security: [{ adminToken: [] }],
        },
      },
    );
}
