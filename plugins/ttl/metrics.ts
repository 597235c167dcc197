import { LATENCY_BUCKETS, type PluginMetrics } from '../../src/index.ts';

/** The ttl plugin's metrics; they live as long as the instance. */
export function createTtlMetrics(metrics: PluginMetrics, lagSeconds: () => Promise<number>) {
  return {
    expired: metrics.counter({
      name: 'relaykit_ttl_expired_total',
      help: 'Messages the sweeper deleted because they expired (IMMEDIATE acknowledgements included)',
    }),
    archived: metrics.counter({
      name: 'relaykit_ttl_archived_total',
      help: 'Expired messages copied to the archive before deletion, by target (table, file)',
      labelNames: ['target'] as const,
    }),
    pruned: metrics.counter({
      name: 'relaykit_ttl_archive_pruned_total',
      help: 'Archive table rows deleted after archive.retentionSeconds',
    }),
    sweepDuration: metrics.histogram({
      name: 'relaykit_ttl_sweep_duration_seconds',
      help: 'How long one sweep took, from its first batch to its last (yields included)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    }),
    batchDuration: metrics.histogram({
      name: 'relaykit_ttl_sweep_batch_duration_seconds',
      help: 'How long one delete transaction held the event loop',
      buckets: LATENCY_BUCKETS,
    }),
    batchSize: metrics.histogram({
      name: 'relaykit_ttl_sweep_batch_size',
      help: 'Messages deleted per transaction',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    }),
    errors: metrics.counter({
      name: 'relaykit_ttl_sweep_errors_total',
      help: 'Sweeps that failed (the rows stay and the next sweep retries)',
    }),
    lag: metrics.gauge({
      name: 'relaykit_ttl_sweeper_lag_seconds',
      help: 'Age of the oldest expired message not yet deleted (0 when none)',
      async collect() {
        this.set(await lagSeconds());
      },
    }),
  };
}

export type TtlMetrics = ReturnType<typeof createTtlMetrics>;
