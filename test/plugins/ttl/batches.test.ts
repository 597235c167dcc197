import { afterEach, describe, expect, test } from 'bun:test';
import { setImmediate } from 'node:timers';
import type { TestHub } from '../../helpers/hub.ts';
import { advanceAndSweep, startTtlHub, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ttl: sweeping in batches', () => {
  test('a sweep of many rows deletes them in bounded batches and yields to the event loop between batches', async () => {
    const started = await startTtlHub({ sweeper: { batchSize: 100 } });
    t = started.t;
    const total = 2_500;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        t.hub.messages.send({ channel: 'bulk', type: `bulk.${i % 3}`, payload: i, ttl: 1 }),
      ),
    );
    const keep = await t.hub.messages.send({ channel: 'bulk', type: 'bulk.kept', payload: null });

    // A ticker that only advances when the event loop gets a turn.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const batches: { size: number; turn: number }[] = [];
    t.hub.bus.on('message.expired', (e) => {
      expect(e.types).toHaveLength(e.ids.length);
      batches.push({ size: e.ids.length, turn: turns });
    });

    const s = await advanceAndSweep(t, started.clock, 1000);
    ticking = false;

    expect(storedIds(t)).toEqual([keep.id]);
    expect(s.expired).toBe(total);
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(total);
    expect(Math.max(...batches.map((b) => b.size))).toBeLessThanOrEqual(100);
    expect(batches.length).toBeGreaterThanOrEqual(total / 100);
    for (let i = 1; i < batches.length; i++) expect(batches[i].turn).toBeGreaterThan(batches[i - 1].turn);

    const histogram = await t.hub.registry.getSingleMetric('relaykit_ttl_sweep_batch_size')?.get();
    const count = histogram?.values.find(
      (v) => (v as { metricName?: string }).metricName === 'relaykit_ttl_sweep_batch_size_count',
    )?.value;
    expect(count).toBe(batches.length);
    const counter = await t.hub.registry.getSingleMetric('relaykit_ttl_expired_total')?.get();
    expect(counter?.values[0].value).toBe(total);
  });
});
