import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration, Metric } from 'prom-client';
import { LatencyHistogram, type LatencyHistogramConfig } from './latency-histogram.ts';
import { Counter, Gauge, Histogram, type Registry } from './prom.ts';

/**
 * Metrics a plugin contributes. Everything registered here lives in the process's
 * one registry while the plugin runs and is removed when it stops, so restarting or
 * disabling a plugin never registers a name twice.
 */
export interface PluginMetrics {
  /** The process's registry (read it, don't register in it directly). */
  readonly registry: Registry;
  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L>;
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L>;
  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L>;
  /**
   * A histogram for hot paths (see LatencyHistogram): an observation is a map lookup by
   * a key the caller already has, merged into the prom-client histogram at every scrape.
   */
  latencyHistogram<L extends string>(config: LatencyHistogramConfig<L>): LatencyHistogram<L>;
  /** Registers a metric built elsewhere (prom-client's default collectors) for the life of the instance. */
  register<M extends Metric>(metric: M): M;
}

/** A plugin's metrics scope: registers in `registry` and removes all it registered on `release`. */
export class ScopedMetrics implements PluginMetrics {
  private readonly names = new Set<string>();

  constructor(readonly registry: Registry) {}

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.track(new Counter<L>({ ...config, registers: [] }));
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.track(new Gauge<L>({ ...config, registers: [] }));
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.track(new Histogram<L>({ ...config, registers: [] }));
  }

  latencyHistogram<L extends string>(config: LatencyHistogramConfig<L>): LatencyHistogram<L> {
    this.free(config.name);
    const histogram = new LatencyHistogram<L>(config, this.registry);
    this.names.add(config.name);
    return histogram;
  }

  register<M extends Metric>(metric: M): M {
    return this.track(metric);
  }

  /** Removes every metric this scope registered. */
  release(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
    this.names.clear();
  }

  /** A name left behind by a failed stop must not block the restart. */
  private free(name: string): void {
    if (this.registry.getSingleMetric(name)) this.registry.removeSingleMetric(name);
  }

  private track<M extends Metric>(metric: M): M {
    const name = (metric as unknown as { name: string }).name;
    this.free(name);
    this.registry.registerMetric(metric);
    this.names.add(name);
    return metric;
  }
}

/**
 * A label whose values come from users (message types, HTTP methods): the first
 * `max` distinct values are kept as they are, every later one is counted as `other`,
 * so no caller can grow the registry without bound.
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return function label(value: string): string {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

/** Methods counted by name in relaykit_http_request_duration_seconds; any other is `OTHER`. */
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : 'OTHER';
}

/** Buckets for request and delivery latencies, in seconds. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The kernel's own metrics, alive for the whole process. */
export function createCoreMetrics(registry: Registry) {
  return {
    httpDuration: new LatencyHistogram(
      {
        name: 'relaykit_http_request_duration_seconds',
        help: 'HTTP request duration by route template, method and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: LATENCY_BUCKETS,
      },
      registry,
    ),
    messagesPublished: new Counter({
      name: 'relaykit_messages_published_total',
      help: 'Messages committed and published, by message type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    groupCommitBatch: new Histogram({
      name: 'relaykit_group_commit_batch_size',
      help: 'Messages committed per transaction by group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    pluginReloads: new Counter({
      name: 'relaykit_plugin_reloads_total',
      help: 'Plugin configuration applies, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    pluginReloadDuration: new Histogram({
      name: 'relaykit_plugin_reload_duration_seconds',
      help: 'How long applying a plugin configuration took',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers: [registry],
    }),
    busHandlerErrors: new Counter({
      name: 'relaykit_event_bus_handler_errors_total',
      help: 'Event-bus subscribers that threw, by event name',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'relaykit_rate_limited_total',
      help: 'Requests and frames refused by a quota, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    pluginsRunning: new Gauge({
      name: 'relaykit_plugins_running',
      help: 'Plugins currently running',
      registers: [registry],
    }),
  };
}

export type CoreMetrics = ReturnType<typeof createCoreMetrics>;
