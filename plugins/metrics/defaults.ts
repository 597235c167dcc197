import type { Metric } from 'prom-client';
import type { PluginMetrics } from '../../src/kernel/metrics.ts';
import type { PluginRuntime } from '../../src/kernel/plugin.ts';
import { Registry } from '../../src/kernel/prom.ts';
import { VERSION } from '../../src/version.ts';
import { collectProcessMetrics } from './process-collectors.ts';

let processCollectors: Metric[] | null = null;

/**
 * prom-client gauges named like counters (`_total`), which `promtool check metrics`
 * rejects; each is the sum of the labelled gauge of the same name without `_total`
 * (`nodejs_active_handles{type}`), which stays.
 */
const MISNAMED_GAUGES = new Set([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]);

/**
 * prom-client's default process metrics (CPU, memory, file descriptors, event-loop
 * lag, ...), created once per process in a private registry. prom-client's families
 * throw when made twice on a registry and start monitors they never stop (an
 * event-loop delay histogram, a GC observer), while the metrics plugin may be
 * enabled, disabled and reconfigured any number of times: each instance registers
 * these same objects in the hub's registry and its scope removes them on stop.
 */
export function processMetrics(): readonly Metric[] {
  if (!processCollectors) {
    const scratch = new Registry();
    collectProcessMetrics(scratch);
    processCollectors = (scratch.getMetricsAsArray() as unknown as Metric[]).filter(
      (metric) => !MISNAMED_GAUGES.has(nameOf(metric)),
    );
  }
  return processCollectors;
}

/** Registers the default process metrics, except `exclude`, for the life of the instance. */
export function registerProcessMetrics(metrics: PluginMetrics, exclude: readonly string[]): void {
  const skip = new Set(exclude);
  for (const metric of processMetrics()) {
    if (!skip.has(nameOf(metric))) metrics.register(metric);
  }
}

/**
 * `relaykit_runtime_info{runtime,version}` (prom-client's `nodejs_version_info`
 * reports the Node version Bun emulates, not Bun's) and `relaykit_build_info{version}`.
 */
export function registerInfoMetrics(metrics: PluginMetrics, runtime: PluginRuntime): void {
  metrics
    .gauge({
      name: 'relaykit_runtime_info',
      help: 'The JavaScript runtime serving the hub (always 1)',
      labelNames: ['runtime', 'version'] as const,
    })
    .set({ runtime: runtime.name, version: runtime.version }, 1);
  metrics
    .gauge({ name: 'relaykit_build_info', help: 'The Relaykit release (always 1)', labelNames: ['version'] as const })
    .set({ version: VERSION }, 1);
}

function nameOf(metric: Metric): string {
  return (metric as unknown as { name: string }).name;
}
