import { afterEach, describe, expect, test } from 'bun:test';
import type { MetricsSnapshot } from '../../../plugins/metrics/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { testPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('GET /metrics/json', () => {
  test('gives current values with percentiles estimated from histogram buckets', async () => {
    // 10 observations: 6 in (0, 0.01], 2 in (0.01, 0.05], 1 in (0.1, 0.5], 1 above the last bucket.
    const latencies = [0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.03, 0.03, 0.2, 3];
    t = await startTestHub({ plugins: testPlugins, overrides: { plugins: { probe: { latencies } } } });
    const res = await t.request('/metrics/json?name=relaykit_test_*');
    expect(res.status).toBe(200);
    const body = (await res.json()) as MetricsSnapshot;
    expect(body.metrics.map((m) => m.name).sort()).toEqual([
      'relaykit_test_follower_items',
      'relaykit_test_probe_events_total',
      'relaykit_test_probe_latency_seconds',
    ]);
    const histogram = body.metrics.find((m) => m.name === 'relaykit_test_probe_latency_seconds');
    const [series] = histogram?.series ?? [];
    expect(series.labels).toEqual({ kind: 'k0' });
    expect(series.count).toBe(10);
    expect(series.sum).toBeCloseTo(3.29, 6);
    expect(series.p50).toBeCloseTo(0.01 * (5 / 6), 9); // rank 5 of the 6 in the first bucket
    expect(series.p90).toBeCloseTo(0.5, 9); // rank 9 is the last in (0.1, 0.5]
    expect(series.p95).toBe(1); // rank 9.5 falls in +Inf: the highest finite bound
    const counter = body.metrics.find((m) => m.name === 'relaykit_test_probe_events_total');
    expect(counter?.series).toEqual([
      { labels: { kind: 'k0' }, value: 1 },
      { labels: { kind: 'k1' }, value: 1 },
    ]);
  });

  test('keeps a ring of snapshots, served by /metrics/json/history and published on the bus', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      plugins: testPlugins,
      clock,
      overrides: { plugins: { metrics: { snapshots: { intervalMs: 1000, history: 3 } } } },
    });
    const published: MetricsSnapshot[] = [];
    t.hub.bus.on('metrics.snapshot', (s) => {
      published.push(s);
    });
    expect((await (await t.request('/metrics/json/history')).json()).snapshots).toEqual([]);
    for (let i = 0; i < 5; i++) await clock.tick(1000);
    expect(published.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);

    const history = await (await t.request('/metrics/json/history')).json();
    expect(history.capacity).toBe(3);
    expect(history.snapshots.map((s: MetricsSnapshot) => s.seq)).toEqual([3, 4, 5]);
    const names = history.snapshots[0].metrics.map((m: { name: string }) => m.name);
    expect(names).toContain('relaykit_messages_published_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).not.toContain('nodejs_gc_duration_seconds');
    expect(history.snapshots[2].at).toBe(new Date(clock.now()).toISOString());

    const page = await (await t.request('/metrics/json/history?after=3&limit=1')).json();
    expect(page.snapshots.map((s: MetricsSnapshot) => s.seq)).toEqual([4]);
    const newest = await (await t.request('/metrics/json/history?limit=1')).json();
    expect(newest.snapshots.map((s: MetricsSnapshot) => s.seq)).toEqual([5]);
  });

  test('stops taking snapshots when disabled', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      plugins: testPlugins,
      clock,
      overrides: { auth: { adminToken: 'snapshots-admin' }, plugins: { metrics: { snapshots: { intervalMs: 1000 } } } },
    });
    let count = 0;
    t.hub.bus.on('metrics.snapshot', () => {
      count++;
    });
    await clock.tick(1000);
    expect(count).toBe(1);
    const res = await t.request('/admin/plugins/metrics', {
      method: 'PATCH',
      token: 'snapshots-admin',
      json: { enabled: false },
    });
    expect(res.status).toBe(200);
    await clock.tick(5000);
    expect(count).toBe(1);
    expect((await t.request('/metrics')).status).toBe(404);
  });
});
