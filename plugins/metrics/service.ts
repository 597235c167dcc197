import type { Counter, Histogram } from 'prom-client';
import { matchesPattern } from '../../src/kernel/bus.ts';
import type { HealthCheck, HealthResult } from '../../src/kernel/health.ts';
import type { PluginContext } from '../../src/kernel/plugin.ts';
import { CardinalityGuard } from './collect.ts';
import { registerInfoMetrics, registerProcessMetrics } from './defaults.ts';
import { toOpenMetrics, toPrometheusText } from './exposition.ts';
import type { MetricsOptions } from './options.ts';
import { type MetricsSnapshot, SnapshotRing, toJson } from './snapshot.ts';

const DROPPED_METRIC = 'relaykit_metrics_series_dropped_total';

/**
 * How long after the plugin starts the process metrics are made (real time), unless
 * a collection needs them sooner. Making them (prom-client's families, the event-loop
 * delay monitor, the GC observer, `/proc` reads) is a few % of a cold start, and no
 * one reads them before the first scrape or snapshot.
 */
export const PROCESS_METRICS_DELAY_MS = 1000;

/**
 * The metrics plugin's long-lived state: the cardinality guard, the snapshot
 * history and its timer. Routes are rebuilt over it; the registry is the hub's.
 */
export class MetricsService {
  private readonly guard: CardinalityGuard;
  private readonly ring: SnapshotRing;
  private readonly scrapeDuration: Histogram;
  private readonly dropped: Counter<'metric'>;
  private readonly inSnapshot: (name: string) => boolean;
  private seq = 0;
  private cancelTimer: (() => void) | null = null;
  private snapshotting = false;
  private stopped = false;
  /** True until the process metrics are registered: just before the first collection, or PROCESS_METRICS_DELAY_MS after start. */
  private processMetricsDue: boolean;
  private processMetricsTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly ctx: PluginContext<MetricsOptions>) {
    const { options } = ctx;
    this.ring = new SnapshotRing(options.snapshots.history);
    const patterns = options.snapshots.include;
    this.inSnapshot = (name) => patterns.some((p) => matchesPattern(p, name));
    this.scrapeDuration = ctx.metrics.histogram({
      name: 'relaykit_metrics_scrape_duration_seconds',
      help: 'Time to collect and serialise the metrics, by format',
      labelNames: ['format'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    });
    this.dropped = ctx.metrics.counter({
      name: DROPPED_METRIC,
      help: 'Label sets dropped by the cardinality guard, by metric name',
      labelNames: ['metric'] as const,
    });
    this.guard = new CardinalityGuard(
      options,
      ctx.log,
      (metric, series) => this.dropped.inc({ metric }, series),
      new Set([DROPPED_METRIC]),
    );
    registerInfoMetrics(ctx.metrics, ctx.runtime);
    this.processMetricsDue = options.defaultMetrics.enabled;
  }

  start(): void {
    const { intervalMs } = this.ctx.options.snapshots;
    if (intervalMs > 0) this.cancelTimer = this.ctx.clock.setInterval(() => void this.snapshot(), intervalMs);
    if (this.processMetricsDue) {
      this.processMetricsTimer = setTimeout(() => this.withProcessMetrics(), PROCESS_METRICS_DELAY_MS);
      (this.processMetricsTimer as { unref?: () => void }).unref?.();
    }
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.processMetricsTimer) clearTimeout(this.processMetricsTimer);
    this.processMetricsTimer = null;
  }

  /** Registers the process metrics once, before anything collects the registry. */
  private withProcessMetrics(): void {
    if (!this.processMetricsDue || this.stopped) return;
    this.processMetricsDue = false;
    if (this.processMetricsTimer) clearTimeout(this.processMetricsTimer);
    this.processMetricsTimer = null;
    registerProcessMetrics(this.ctx.metrics, this.ctx.options.defaultMetrics.exclude);
  }

  /** The registry in the Prometheus text format, or OpenMetrics. */
  async exposition(openMetrics: boolean): Promise<string> {
    const started = performance.now();
    this.withProcessMetrics();
    const families = await this.guard.collect(this.ctx.metrics.registry);
    const text = openMetrics ? toOpenMetrics(families) : toPrometheusText(families);
    this.scrapeDuration.observe(
      { format: openMetrics ? 'openmetrics' : 'prometheus' },
      (performance.now() - started) / 1000,
    );
    return text;
  }

  /** Current values as JSON; `patterns` (with `*`) select metric names, default all. */
  async current(patterns?: readonly string[]): Promise<MetricsSnapshot> {
    const include = patterns?.length ? (name: string) => patterns.some((p) => matchesPattern(p, name)) : undefined;
    this.withProcessMetrics();
    const families = await this.guard.collect(this.ctx.metrics.registry, include);
    return { seq: 0, at: this.now(), metrics: toJson(families) };
  }

  history(after: number | undefined, limit: number): { capacity: number; snapshots: MetricsSnapshot[] } {
    return { capacity: this.ring.capacity, snapshots: this.ring.list(after, limit) };
  }

  /** Takes a snapshot into the history and publishes it as `metrics.snapshot`. */
  async snapshot(): Promise<MetricsSnapshot | null> {
    if (this.snapshotting) return null;
    this.snapshotting = true;
    try {
      this.withProcessMetrics();
      const families = await this.guard.collect(this.ctx.metrics.registry, this.inSnapshot);
      if (this.stopped) return null;
      const snapshot: MetricsSnapshot = { seq: ++this.seq, at: this.now(), metrics: toJson(families) };
      this.ring.push(snapshot);
      this.ctx.bus.publish('metrics.snapshot', snapshot);
      return snapshot;
    } catch (err) {
      this.ctx.log.error({ err }, 'metrics snapshot failed');
      return null;
    } finally {
      this.snapshotting = false;
    }
  }

  /** `metrics:cardinality`: warns while the guard drops series or refuses metrics. */
  health(): HealthCheck[] {
    return [
      {
        name: 'metrics:cardinality',
        componentType: 'component',
        affectsReadiness: false,
        check: (): HealthResult => {
          const { dropped, refused } = this.guard.report;
          const problems = [
            ...[...dropped].map(([metric, n]) => `${metric} dropped ${n} label sets`),
            ...[...refused].map(([metric, label]) => `${metric} uses the forbidden label "${label}"`),
          ];
          return problems.length
            ? { status: 'warn', observedValue: problems.length, output: problems.join('; ') }
            : { status: 'pass', observedValue: 0 };
        },
      },
    ];
  }

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }
}
