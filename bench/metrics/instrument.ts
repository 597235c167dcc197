/**
 * Per-request instrumentation cost: what the kernel does for every HTTP request to
 * feed `relaykit_http_request_duration_seconds` (a start time in a WeakMap, a second
 * clock read, a label object, `Histogram.observe` with three labels), against the
 * anchor, the same loop without the metric work, in the same run.
 *
 *   taskset -c 1 bun bench/metrics/instrument.ts
 */
import { Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../../src/kernel/metrics.ts';

const N = Number(process.env.N ?? 1_000_000);
const registry = new Registry();
const histogram = new Histogram({
  name: 'relaykit_http_request_duration_seconds',
  help: 'bench',
  labelNames: ['method', 'route', 'status'],
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
const ROUTES = [
  '/messages',
  '/messages/:id',
  '/messages/:id/ack',
  '/metrics',
  '/health/ready',
  '/ws',
  '/sse',
  '/ttl/stats',
];
const STATUSES = [200, 201, 404];
const requests = Array.from({ length: 256 }, (_, i) => ({
  method: i % 5 === 0 ? 'POST' : 'GET',
  route: ROUTES[i % ROUTES.length],
  status: STATUSES[i % STATUSES.length],
  request: new Request(`http://127.0.0.1/r${i}`),
}));
const requestStart = new WeakMap<Request, number>();
let sink = 0;

function anchor(): void {
  for (let i = 0; i < N; i++) {
    const r = requests[i & 255];
    const start = performance.now();
    sink += r.status + (performance.now() - start);
  }
}

function instrumented(): void {
  for (let i = 0; i < N; i++) {
    const r = requests[i & 255];
    requestStart.set(r.request, performance.now());
    const start = requestStart.get(r.request) as number;
    histogram.observe(
      { method: r.method, route: r.route, status: String(r.status) },
      (performance.now() - start) / 1000,
    );
  }
}

function run(fn: () => void): number {
  const start = performance.now();
  fn();
  return ((performance.now() - start) * 1e6) / N;
}

for (let i = 0; i < 2; i++) {
  run(anchor);
  run(instrumented);
}
const a: number[] = [];
const b: number[] = [];
for (let rep = 0; rep < 5; rep++) {
  a.push(run(anchor));
  b.push(run(instrumented));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const anchorNs = median(a);
const instrumentedNs = median(b);
console.log(`${N.toLocaleString()} requests per run, 5 runs, ${ROUTES.length * 2 * STATUSES.length} label sets`);
console.log(
  `anchor (two clock reads)        median ${anchorNs.toFixed(1)} ns/request (runs ${a.map((x) => x.toFixed(0)).join('/')})`,
);
console.log(
  `instrumented                    median ${instrumentedNs.toFixed(1)} ns/request (runs ${b.map((x) => x.toFixed(0)).join('/')})`,
);
console.log(
  `instrumentation cost            ${(instrumentedNs - anchorNs).toFixed(1)} ns/request (ratio ${(instrumentedNs / anchorNs).toFixed(2)})`,
);
if (sink === -1) console.log(sink);
