import { definePlugin } from '../../src/kernel/plugin.ts';
import { MetricsOptionsSchema } from './options.ts';
import { metricsRoutes, SnapshotSchema } from './routes.ts';
import { MetricsService } from './service.ts';
import type { MetricsSnapshot } from './snapshot.ts';

export type { MetricsOptions } from './options.ts';
export type { MetricJson, MetricsSnapshot, SeriesJson } from './snapshot.ts';

declare module '../../src/kernel/events.ts' {
  interface RelaykitEvents {
    /** The metrics named in `snapshots.include`, every `snapshots.intervalMs` (for admin dashboards). */
    'metrics.snapshot': MetricsSnapshot;
  }
}

/**
 * Prometheus metrics for the hub: `GET /metrics` (text format or OpenMetrics) over
 * the hub's one registry (the kernel's metrics, every running plugin's, the process
 * metrics), a cardinality guard, and JSON snapshots with percentiles plus their
 * history for people without Prometheus.
 */
export default definePlugin({
  name: 'metrics',
  description: 'Prometheus /metrics, JSON snapshots with percentiles and their history',
  options: MetricsOptionsSchema,
  emits: ['metrics.snapshot'],
  eventSchemas: { 'metrics.snapshot': SnapshotSchema },
  setup(ctx) {
    const service = new MetricsService(ctx);
    return {
      start: () => service.start(),
      stop: () => service.stop(),
      routes: () => metricsRoutes(service, ctx.auth, ctx.options.requireAdmin),
      health: () => service.health(),
    };
  },
});
