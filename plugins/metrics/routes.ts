import { Elysia, t } from 'elysia';
import type { AuthService } from '../../src/kernel/auth.ts';
import { Integer } from '../../src/kernel/integer.ts';
import { errorResponses } from '../../src/kernel/schemas.ts';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.ts';
import type { MetricsService } from './service.ts';

const Nullable = (description: string) => t.Union([t.Number(), t.Null()], { description });

const SeriesSchema = t.Object({
  labels: t.Record(t.String(), t.String()),
  value: t.Optional(Nullable('Counter or gauge value')),
  count: t.Optional(t.Number({ description: 'Observations (histograms, summaries)' })),
  sum: t.Optional(Nullable('Sum of the observations')),
  p50: t.Optional(Nullable('Median; for histograms estimated from the buckets')),
  p90: t.Optional(Nullable('90th percentile')),
  p95: t.Optional(Nullable('95th percentile')),
  p99: t.Optional(Nullable('99th percentile')),
});

const MetricSchema = t.Object({
  name: t.String(),
  help: t.String(),
  type: t.Union([t.Literal('counter'), t.Literal('gauge'), t.Literal('histogram'), t.Literal('summary')]),
  series: t.Array(SeriesSchema),
});

export const SnapshotSchema = t.Object(
  {
    seq: Integer({ description: 'Position in the history (0 for an on-demand read)' }),
    at: t.String({ format: 'date-time' }),
    metrics: t.Array(MetricSchema),
  },
  { title: 'MetricsSnapshot' },
);

/** `/metrics` (Prometheus, OpenMetrics) and `/metrics/json*` for people without Prometheus. */
export function metricsRoutes(service: MetricsService, auth: AuthService, requireAdmin: boolean) {
  return new Elysia({ name: 'relaykit-metrics', detail: { tags: ['metrics'] } })
    .onBeforeHandle(function metricsAccess({ request }) {
      if (requireAdmin) auth.requireAdmin(request);
    })
    .get(
      '/metrics',
      async function scrape({ request }) {
        const openMetrics = wantsOpenMetrics(request.headers.get('accept'));
        return new Response(await service.exposition(openMetrics), {
          headers: {
            'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
            'cache-control': 'no-store',
          },
        });
      },
      {
        response: {
          200: t.String({ description: 'Prometheus text format 0.0.4, or OpenMetrics 1.0 when Accept asks for it' }),
          ...errorResponses(401, 403),
        },
        detail: {
          operationId: 'scrapeMetrics',
          summary: 'Scrape the metrics (Prometheus text or OpenMetrics)',
          description:
            'Every metric of the hub and its running plugins plus the process metrics. Send `Accept: application/openmetrics-text` for OpenMetrics.',
        },
      },
    )
    .get('/metrics/json', ({ query }) => service.current(query.name?.split(',').filter(Boolean)), {
      query: t.Object({
        name: t.Optional(
          t.String({ description: 'Comma-separated metric names to include, `*` as a wildcard (default: all)' }),
        ),
      }),
      response: { 200: SnapshotSchema, ...errorResponses(400, 401, 403) },
      detail: {
        operationId: 'getMetrics',
        summary: 'Current metric values as JSON',
        description: 'Histograms come with count, sum and p50/p90/p95/p99 estimated from their buckets.',
      },
    })
    .get('/metrics/json/history', ({ query }) => service.history(query.after, query.limit ?? 100), {
      query: t.Object({
        after: t.Optional(Integer({ minimum: 0, description: 'Only snapshots with a greater `seq` (page forward)' })),
        limit: t.Optional(
          Integer({ minimum: 1, maximum: 100_000, default: 100, description: 'Most snapshots returned' }),
        ),
      }),
      response: {
        200: t.Object({
          capacity: Integer({ description: 'How many snapshots the history keeps' }),
          snapshots: t.Array(SnapshotSchema, { description: 'Oldest first' }),
        }),
        ...errorResponses(400, 401, 403),
      },
      detail: {
        operationId: 'getMetricsHistory',
        summary: 'Recent metric snapshots',
        description:
          'Snapshots taken every `snapshots.intervalMs` (the metrics named in `snapshots.include`). Without `after`, the newest `limit`.',
      },
    });
}
