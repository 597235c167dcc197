import { type Static, Type } from '@sinclair/typebox';

/** prom-client's per-heap-space gauges: all zeros on Bun, and about 5-10 ms per scrape to read there. */
export const BUN_EMPTY_METRICS = [
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
];

/** Label names that carry user-supplied, unbounded values (the contract forbids them). */
export const FORBIDDEN_LABELS = [
  'channel',
  'client',
  'client_id',
  'clientId',
  'user',
  'user_id',
  'userId',
  'url',
  'path',
  'topic',
  'ip',
  'remote_address',
  'message_id',
  'messageId',
  'request_id',
  'requestId',
  'email',
  'token',
];

export const MetricsOptionsSchema = Type.Object(
  {
    defaultMetrics: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: "Expose prom-client's default process metrics (CPU, memory, file descriptors, event-loop lag)",
        }),
        exclude: Type.Array(Type.String(), {
          default: BUN_EMPTY_METRICS,
          description: 'Default metrics left out (the per-heap-space gauges are empty on Bun and slow to read)',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    maxSeriesPerMetric: Type.Integer({
      minimum: 1,
      default: 250,
      description:
        'Most label sets one metric may expose; beyond it the newest are dropped and counted in relaykit_metrics_series_dropped_total',
    }),
    forbiddenLabels: Type.Array(Type.String(), {
      default: FORBIDDEN_LABELS,
      description:
        'Label names that carry user-supplied values (channel names, client ids, URLs); a metric using one is not exposed',
    }),
    requireAdmin: Type.Boolean({
      default: false,
      description: 'Require the admin token on /metrics and /metrics/json* (set `authorization` in the scrape config)',
    }),
    snapshots: Type.Object(
      {
        intervalMs: Type.Integer({
          minimum: 0,
          default: 5000,
          description: 'How often a snapshot is kept in the history and published as `metrics.snapshot` (0: never)',
        }),
        history: Type.Integer({
          minimum: 0,
          maximum: 100_000,
          default: 1000,
          description: 'How many recent snapshots `GET /metrics/json/history` keeps',
        }),
        include: Type.Array(Type.String(), {
          default: [
            'relaykit_*',
            'process_cpu_seconds_total',
            'process_resident_memory_bytes',
            'process_open_fds',
            'nodejs_heap_size_used_bytes',
            'nodejs_eventloop_lag_p99_seconds',
          ],
          description: 'Metric names (`*` wildcards) kept in snapshots, to keep the history small',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, description: 'Prometheus metrics, JSON snapshots and their history' },
);

export type MetricsOptions = Static<typeof MetricsOptionsSchema>;
