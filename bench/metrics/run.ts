/**
 * The metrics benchmark: HTTP scrape latency with 1,000 series (target < 10 ms)
 * against the anchor, a cached probe on the same server (`/health/live`), with the
 * server pinned to core 0 and wrk to core 1; then the in-process serialisation and
 * per-request instrumentation benchmarks pinned to core 1. Repeats and prints
 * medians and ratios.
 *
 *   bun bench/metrics/run.ts        (RUNS=3 DURATION=5s)
 */
import { join } from 'node:path';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = process.env.DURATION ?? '5s';
const here = import.meta.dir;

const server = Bun.spawn(['taskset', '-c', '0', 'bun', join(here, 'server.ts')], { stdout: 'pipe', stderr: 'inherit' });
const reader = server.stdout.getReader();
let first = '';
while (!first.includes('\n')) {
  const { value, done } = await reader.read();
  if (done) throw new Error('the bench server exited');
  first += new TextDecoder().decode(value);
}
const { url, series } = JSON.parse(first.split('\n')[0]) as { url: string; series: number };
console.log(`server ${url} pinned to core 0, exposing ${series} series; wrk pinned to core 1, 1 connection`);

/** p50 and p99 latency (ms) and requests/s from `wrk --latency`. */
function wrk(path: string): { p50: number; p99: number; rps: number } {
  const out = Bun.spawnSync(['taskset', '-c', '1', 'wrk', '-t1', '-c1', `-d${DURATION}`, '--latency', `${url}${path}`]);
  const text = out.stdout.toString();
  const latency = (pct: string) => {
    const m = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) throw new Error(`cannot read wrk output:\n${text}`);
    const n = Number(m[1]);
    return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  return { p50: latency('50'), p99: latency('99'), rps };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const anchor: ReturnType<typeof wrk>[] = [];
const scrape: ReturnType<typeof wrk>[] = [];
let serverSide = '';
try {
  for (let run = 0; run < RUNS; run++) {
    anchor.push(wrk('/health/live'));
    scrape.push(wrk('/metrics'));
  }
  // The plugin times its own scrapes (collect + serialise, without HTTP).
  const res = await fetch(`${url}/metrics/json?name=relaykit_metrics_scrape_duration_seconds`);
  const own = (await res.json()).metrics[0].series.find(
    (s: { labels: { format: string } }) => s.labels.format === 'prometheus',
  );
  serverSide = `server-side collect+serialise (the plugin's own histogram): mean ${((own.sum / own.count) * 1000).toFixed(3)} ms, p50 ~${(own.p50 * 1000).toFixed(2)} ms, p99 ~${(own.p99 * 1000).toFixed(2)} ms over ${own.count} scrapes`;
} finally {
  server.kill('SIGTERM');
}
for (const [name, runs] of [
  ['anchor GET /health/live', anchor],
  ['GET /metrics (1,000 series)', scrape],
] as const) {
  console.log(
    `${name.padEnd(30)} p50 ${median(runs.map((r) => r.p50)).toFixed(3)} ms  p99 ${median(runs.map((r) => r.p99)).toFixed(3)} ms  ${median(runs.map((r) => r.rps)).toFixed(0)} req/s  (p50 runs ${runs.map((r) => r.p50.toFixed(2)).join('/')})`,
  );
}
const p50 = median(scrape.map((r) => r.p50));
console.log(serverSide);
console.log(
  `scrape p50 / anchor p50 = ${(p50 / median(anchor.map((r) => r.p50))).toFixed(1)}; target < 10 ms: ${p50 < 10 ? 'met' : 'NOT met'}`,
);

for (const script of ['serialize.ts', 'instrument.ts']) {
  console.log(`\n# ${script} (core 1)`);
  const out = Bun.spawnSync(['taskset', '-c', '1', 'bun', join(here, script)], { stderr: 'inherit' });
  process.stdout.write(out.stdout.toString());
}
