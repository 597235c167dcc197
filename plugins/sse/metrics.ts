import type { HealthCheck } from '../../src/kernel/health.ts';
import type { PluginMetrics } from '../../src/kernel/metrics.ts';

/** What the metrics and health checks read from the running service. */
export interface SseGauges {
  streamCount(): number;
  subscriptionCount(): number;
  queuedBytes(): number;
  largestQueue(): number;
}

/** The plugin's metrics (removed by the kernel when the instance stops). Labels are fixed sets only. */
export function createSseMetrics(metrics: PluginMetrics, gauges: SseGauges) {
  return {
    opened: metrics.counter({
      name: 'relaykit_sse_streams_opened_total',
      help: 'Event streams accepted (fresh and resumed)',
      labelNames: ['resumed'] as const,
    }),
    rejected: metrics.counter({
      name: 'relaykit_sse_streams_rejected_total',
      help: 'Stream requests refused, by error code',
      labelNames: ['code'] as const,
    }),
    closed: metrics.counter({
      name: 'relaykit_sse_streams_closed_total',
      help: 'Event streams ended, by reason (client, slow_consumer, restart, disabled, shutdown, token_expired, error)',
      labelNames: ['reason'] as const,
    }),
    delivered: metrics.counter({
      name: 'relaykit_sse_events_delivered_total',
      help: 'Events written to streams: live messages, messages replayed on resume, system events',
      labelNames: ['kind'] as const,
    }),
    slowConsumers: metrics.counter({
      name: 'relaykit_sse_slow_consumer_closes_total',
      help: 'Streams closed because their client fell more than maxQueueBytes behind',
    }),
    gaps: metrics.counter({
      name: 'relaykit_sse_gap_events_total',
      help: 'Resumes that started with relaykit.gap (the resume point was older than retention or unknown)',
    }),
    streams: metrics.gauge({
      name: 'relaykit_sse_streams',
      help: 'Open event streams',
      collect() {
        this.set(gauges.streamCount());
      },
    }),
    subscriptions: metrics.gauge({
      name: 'relaykit_sse_subscriptions',
      help: 'Channel subscriptions over all open streams (system channels included)',
      collect() {
        this.set(gauges.subscriptionCount());
      },
    }),
    queued: metrics.gauge({
      name: 'relaykit_sse_queued_bytes',
      help: 'Bytes queued for clients over all open streams',
      collect() {
        this.set(gauges.queuedBytes());
      },
    }),
  };
}

export type SseMetrics = ReturnType<typeof createSseMetrics>;

/** Health checks: capacity and how far the slowest client is behind. Neither affects readiness. */
export function sseHealthChecks(
  gauges: SseGauges,
  limits: { maxStreams: number; maxQueueBytes: number },
): HealthCheck[] {
  return [
    {
      name: 'sse:streams',
      componentType: 'component',
      affectsReadiness: false,
      check() {
        const open = gauges.streamCount();
        const full = open >= limits.maxStreams * 0.9;
        return {
          status: full ? 'warn' : 'pass',
          observedValue: open,
          observedUnit: 'streams',
          ...(full ? { output: `${open} of at most ${limits.maxStreams} event streams are open` } : {}),
        };
      },
    },
    {
      name: 'sse:largestQueue',
      componentType: 'component',
      affectsReadiness: false,
      check() {
        const largest = gauges.largestQueue();
        const behind = largest > limits.maxQueueBytes / 2;
        return {
          status: behind ? 'warn' : 'pass',
          observedValue: largest,
          observedUnit: 'bytes',
          ...(behind
            ? { output: `a client is ${largest} bytes behind (closed past ${limits.maxQueueBytes}, maxQueueBytes)` }
            : {}),
        };
      },
    },
  ];
}
