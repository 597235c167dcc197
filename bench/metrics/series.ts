import { Gauge, type Registry } from 'prom-client';

/** Sample lines (series) in a Prometheus text exposition. */
export function countSeries(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line && !line.startsWith('#')) n++;
  return n;
}

/**
 * Adds gauges with one bounded label until the registry exposes `target` series
 * (a stand-in for many plugins' metrics: 100 label sets per gauge).
 */
export function fillTo(registry: Registry, current: number, target: number): void {
  let missing = target - current;
  for (let g = 0; missing > 0; g++) {
    const gauge = new Gauge({
      name: `relaykit_bench_filler_${g}`,
      help: 'Bench filler series',
      labelNames: ['shard'],
      registers: [registry],
    });
    // Each new family's series; the gauge itself adds no line until set.
    for (let i = 0; i < 100 && missing > 0; i++, missing--) gauge.set({ shard: `s${i}` }, i);
  }
}
