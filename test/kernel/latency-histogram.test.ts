import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { LatencyHistogram } from '../../src/kernel/latency-histogram.ts';
import { LATENCY_BUCKETS } from '../../src/kernel/metrics.ts';
import { Histogram, Registry } from '../../src/kernel/prom.ts';

const LABELS = ['method', 'route', 'status'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

/** The same observations through prom-client's own histogram and through LatencyHistogram. */
function both() {
  const plainRegistry = new Registry();
  const plain = new Histogram({
    name: 'latency_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: LATENCY_BUCKETS,
    registers: [plainRegistry],
  });
  const fastRegistry = new Registry();
  const fast = new LatencyHistogram(
    { name: 'latency_seconds', help: 'h', labelNames: LABELS, buckets: LATENCY_BUCKETS },
    fastRegistry,
  );
  return {
    observe(labels: Labels, seconds: number) {
      plain.observe(labels, seconds);
      fast.observe(`${labels.method} ${labels.status} ${labels.route}`, () => ({ ...labels }), seconds);
    },
    texts: async () => [await plainRegistry.metrics(), await fastRegistry.metrics()],
    fast,
  };
}

/** Line for line equal, except that sums may differ in the last bits (they are added in another order). */
function expectSameExposition(actual: string, expected: string): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  expect(a.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const sum = /^(\S+_sum\{[^}]*\}) (\S+)$/.exec(e[i]);
    if (!sum) {
      expect(a[i]).toBe(e[i]);
      continue;
    }
    const [, series, value] = sum;
    expect(a[i].startsWith(`${series} `)).toBe(true);
    expect(Number(a[i].slice(series.length + 1))).toBeCloseTo(Number(value), 9);
  }
}

const observation = fc.record({
  labels: fc.record({
    method: fc.constantFrom('GET', 'POST', 'OTHER'),
    route: fc.constantFrom('/messages', '/messages/:id', 'unmatched'),
    status: fc.constantFrom('200', '201', '404'),
  }),
  // Bounds themselves, values between them, and past the last bound.
  seconds: fc.oneof(fc.constantFrom(...LATENCY_BUCKETS, 0, 20), fc.double({ min: 0, max: 12, noNaN: true })),
});

describe('LatencyHistogram', () => {
  test('exposes exactly what prom-client does for the same observations, scraped at any points', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(observation, { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        async (rounds) => {
          const h = both();
          for (const round of rounds) {
            for (const { labels, seconds } of round) h.observe(labels, seconds);
            const [plain, fast] = await h.texts();
            expectSameExposition(fast, plain);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test('after a registry reset it counts from zero again', async () => {
    const h = both();
    const labels = { method: 'GET', route: '/messages/:id', status: '200' };
    h.observe(labels, 0.002);
    await h.texts();
    h.fast.histogram.reset();
    h.observe(labels, 0.3);
    const fastText = (await h.texts())[1];
    expect(fastText).toContain('latency_seconds_count{method="GET",route="/messages/:id",status="200"} 1');
    expect(fastText).toContain('latency_seconds_sum{method="GET",route="/messages/:id",status="200"} 0.3');
  });
});
