import { t } from 'elysia';
import { Integer } from './integer.ts';

/** The one error shape, for routes' documented error responses. */
export const ErrorResponse = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable code from the error catalogue, e.g. RELAYKIT_ERR_VALIDATION' }),
      message: t.String({ description: 'What went wrong, for humans' }),
      details: t.Optional(t.Unknown({ description: 'Field-level details, when there are any' })),
    }),
  },
  { title: 'ErrorResponse' },
);

/**
 * The usual error responses, to spread into a route's `response`. The result is typed
 * per status (`{ 404: typeof ErrorResponse }`), so Eden Treaty clients see each error.
 */
export const errorResponses = <const S extends readonly number[]>(...statuses: S) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as { [K in S[number]]: typeof ErrorResponse };

/**
 * `cluster` of a realtime plugin's status route (`/ws/status`, `/stream/stats`): its
 * channels on every live node, from the shared presence (`summarize` in src/cluster/occupancy.ts).
 */
export const ClusterChannelsSchema = t.Object(
  {
    channels: Integer({ description: 'Channels with subscribers on any live node' }),
    nodes: t.Record(
      t.String(),
      t.Object({
        channels: Integer({ description: 'Channels with subscribers on this node' }),
        subscriptions: Integer({ description: 'Distinct (channel, client) subscriptions on this node' }),
      }),
      { description: 'Per live node with subscribers, by node id' },
    ),
  },
  {
    title: 'ClusterChannels',
    description: 'On a cluster only: the whole cluster, from the shared presence (dead nodes drop out within seconds)',
  },
);
