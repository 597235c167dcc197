import type { Clock } from '../../src/kernel/clock.ts';
import type { HealthCheck } from '../../src/kernel/health.ts';
import { LATENCY_BUCKETS, type PluginMetrics } from '../../src/kernel/metrics.ts';
import type { EndpointStore } from './endpoints.ts';
import type { Outbox } from './outbox.ts';
import type { AttemptOutcome } from './schema.ts';

export type DeliveryEnd = 'delivered' | 'exhausted' | 'endpoint_disabled';

/** The plugin's metrics; the outbox gauges are read from the database at scrape time. */
export class WebhookMetrics {
  private readonly attempts;
  private readonly attemptDuration;
  private readonly deliveries;
  private readonly enqueuedTotal;

  constructor(
    metrics: PluginMetrics,
    private readonly outbox: Outbox,
    endpoints: EndpointStore,
    private readonly clock: Clock,
    inFlight: () => number,
  ) {
    this.attempts = metrics.counter({
      name: 'relaykit_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome (success, http_error, timeout, network_error, refused)',
      labelNames: ['outcome'] as const,
    });
    // Observed once per attempt: the hot-path histogram (merged into prom-client at scrape time).
    this.attemptDuration = metrics.latencyHistogram({
      name: 'relaykit_webhook_attempt_duration_seconds',
      help: 'How long webhook attempts took, by outcome',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
    });
    this.deliveries = metrics.counter({
      name: 'relaykit_webhook_deliveries_total',
      help: 'Webhook deliveries that ended, by outcome (delivered, exhausted, endpoint_disabled)',
      labelNames: ['outcome'] as const,
    });
    this.enqueuedTotal = metrics.counter({
      name: 'relaykit_webhook_deliveries_enqueued_total',
      help: 'Webhook deliveries written to the outbox',
    });
    const self = this;
    metrics.gauge({
      name: 'relaykit_webhook_outbox_depth',
      help: 'Webhook deliveries pending (waiting, retrying or in flight)',
      async collect() {
        this.set((await self.outbox.backlog()).depth);
      },
    });
    metrics.gauge({
      name: 'relaykit_webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest pending webhook delivery (0 when none is pending)',
      async collect() {
        this.set(await self.oldestPendingSeconds());
      },
    });
    metrics.gauge({
      name: 'relaykit_webhook_attempts_in_flight',
      help: 'Webhook attempts in flight in this process',
      collect() {
        this.set(inFlight());
      },
    });
    metrics.gauge({
      name: 'relaykit_webhook_endpoints',
      help: 'Registered webhook endpoints, by state',
      labelNames: ['state'] as const,
      collect() {
        const all = endpoints.all();
        const enabled = all.filter((e) => e.row.enabled).length;
        this.set({ state: 'enabled' }, enabled);
        this.set({ state: 'disabled' }, all.length - enabled);
      },
    });
  }

  /** Counts the attempts of a recorded batch: one counter increment per outcome, not per attempt. */
  attempted(attempts: ReadonlyArray<{ outcome: AttemptOutcome; durationMs: number }>): void {
    const byOutcome = new Map<AttemptOutcome, number>();
    for (const { outcome, durationMs } of attempts) {
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
      this.attemptDuration.observe(outcome, () => ({ outcome }), durationMs / 1000);
    }
    for (const [outcome, n] of byOutcome) this.attempts.inc({ outcome }, n);
  }

  finished(outcome: DeliveryEnd, n = 1): void {
    if (n > 0) this.deliveries.inc({ outcome }, n);
  }

  enqueued(n: number): void {
    if (n > 0) this.enqueuedTotal.inc(n);
  }

  async oldestPendingSeconds(): Promise<number> {
    const { oldestCreatedAt } = await this.outbox.backlog();
    return oldestCreatedAt === null ? 0 : Math.max(0, (this.clock.now() - oldestCreatedAt) / 1000);
  }

  /** Warns when the oldest pending delivery is older than `warnSeconds`. */
  healthCheck(warnSeconds: number): HealthCheck {
    return {
      name: 'webhooks:oldestPending',
      componentType: 'component',
      affectsReadiness: false,
      check: async () => {
        const age = Math.round(await this.oldestPendingSeconds());
        return age > warnSeconds
          ? {
              status: 'warn',
              observedValue: age,
              observedUnit: 's',
              output: `the oldest pending webhook delivery is ${age} s old (threshold ${warnSeconds} s): endpoints are failing or the worker cannot keep up; see GET /webhooks/deliveries?status=pending`,
            }
          : { status: 'pass', observedValue: age, observedUnit: 's' };
      },
    };
  }
}
