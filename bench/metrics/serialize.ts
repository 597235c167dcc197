/**
 * In-process scrape cost with 1,000 series: the metrics plugin's path (read every
 * metric through the cardinality guard, write the text format) against the anchor,
 * prom-client's own `Registry.metrics()` over the same registry, in the same run.
 *
 *   taskset -c 1 bun bench/metrics/serialize.ts
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CardinalityGuard } from '../../plugins/metrics/collect.ts';
import { toOpenMetrics, toPrometheusText } from '../../plugins/metrics/exposition.ts';
import { BUN_EMPTY_METRICS, FORBIDDEN_LABELS } from '../../plugins/metrics/options.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { createCoreMetrics } from '../../src/kernel/metrics.ts';
import { countSeries, fillTo } from './series.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const registry = new Registry();
const scratch = new Registry();
collectDefaultMetrics({ register: scratch });
for (const m of scratch.getMetricsAsArray()) {
  if (!BUN_EMPTY_METRICS.includes(m.name)) registry.registerMetric(m as never);
}
const core = createCoreMetrics(registry);
for (const route of ['/messages', '/messages/:id', '/messages/:id/ack', '/metrics', '/health/ready']) {
  for (const status of ['200', '201', '404'])
    core.httpDuration.observe(`GET ${status} ${route}`, () => ({ method: 'GET', route, status }), 0.002);
}
for (let i = 0; i < 20; i++) core.messagesPublished.inc({ type: `type${i}` });
const guard = new CardinalityGuard(
  { maxSeriesPerMetric: 250, forbiddenLabels: FORBIDDEN_LABELS },
  silentLogger,
  () => {},
);
fillTo(registry, countSeries(toPrometheusText(await guard.collect(registry))), 1000);
const series = countSeries(toPrometheusText(await guard.collect(registry)));

async function time(fn: () => Promise<unknown>): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < 30; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
}

const names = [
  'anchor: prom-client Registry.metrics()',
  'metrics plugin, Prometheus text',
  'metrics plugin, OpenMetrics',
] as const;
const runs: Record<string, Array<{ median: number; p99: number }>> = Object.fromEntries(names.map((n) => [n, []]));
// Interleave the candidates so drift from other load hits each alike.
for (let rep = 0; rep < 3; rep++) {
  for (const [name, fn] of [
    [names[0], () => registry.metrics()],
    [names[1], async () => toPrometheusText(await guard.collect(registry))],
    [names[2], async () => toOpenMetrics(await guard.collect(registry))],
  ] as const) {
    runs[name].push(await time(fn));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`series exposed: ${series}; ${ROUNDS} scrapes per run, 3 runs (median of the run medians)`);
const anchor = median(runs[names[0]].map((r) => r.median));
for (const name of names) {
  const m = median(runs[name].map((r) => r.median));
  const p99 = median(runs[name].map((r) => r.p99));
  const each = runs[name].map((r) => r.median.toFixed(3)).join('/');
  console.log(
    `${name.padEnd(40)} median ${m.toFixed(3)} ms (runs ${each})  p99 ${p99.toFixed(3)} ms  ratio ${(m / anchor).toFixed(2)}`,
  );
}
