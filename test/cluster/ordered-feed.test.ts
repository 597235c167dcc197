import { describe, expect, test } from 'bun:test';
import { OrderedFeed, type OrderedFeedOptions } from '../../src/cluster/ordered-feed.ts';
import { ManualClock } from '../../src/kernel/clock.ts';

interface Msg {
  id: number;
}

/** A feed over a store holding ids 1..committed (minus `deleted`), recording reads and deliveries. */
function setup(overrides: Partial<OrderedFeedOptions<Msg>> = {}) {
  const clock = new ManualClock();
  const store = { committed: 0, deleted: new Set<number>(), reads: [] as [number, number][], fail: 0 };
  const got: number[] = [];
  const feed = new OrderedFeed<Msg>({
    startAfter: 0,
    holdMs: 50,
    checkEveryMs: 1000,
    clock,
    async readRange(after, upto) {
      if (store.fail > 0 && store.fail--) throw new Error('database down');
      store.reads.push([after, upto]);
      const ids = [];
      for (let id = after + 1; id <= Math.min(upto, store.committed); id++)
        if (!store.deleted.has(id)) ids.push({ id });
      return ids;
    },
    async lastId() {
      return store.committed;
    },
    deliver: (run) => got.push(...run.map((m) => m.id)),
    ...overrides,
  });
  const batch = (...ids: number[]) => {
    store.committed = Math.max(store.committed, ...ids);
    return { lastId: Math.max(...ids), messages: ids.map((id) => ({ id })) };
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    await new Promise((r) => setImmediate(r));
  };
  return { clock, store, got, feed, batch, tick };
}

describe('ordered feed', () => {
  test('batches in order are delivered at once, with no read and no hold', () => {
    const { feed, got, batch, store } = setup();
    feed.push(batch(1, 2));
    feed.push(batch(3));
    expect(got).toEqual([1, 2, 3]);
    expect(store.reads).toEqual([]);
    expect(feed.stats()).toMatchObject({ delivered: 3, gapReads: 0, holdTimeMs: 0, held: 0 });
  });

  test('12 before 11: 12 is held, and delivered after 11 when 11 arrives within the hold', async () => {
    const { feed, got, batch, tick, store } = setup({ startAfter: 10 });
    store.committed = 10;
    const eleven = batch(11);
    feed.push(batch(12));
    expect(got).toEqual([]);
    expect(feed.stats().held).toBe(1);
    await tick(20);
    feed.push(eleven);
    expect(got).toEqual([11, 12]);
    await tick(100);
    expect(store.reads).toEqual([]);
    expect(feed.stats()).toMatchObject({ gapReads: 0, holdTimeMs: 20, maxHoldMs: 20 });
  });

  test('12 before 11 and 11 lost: after the hold the hole is read from the store', async () => {
    const { feed, got, batch, tick, store } = setup({ startAfter: 10 });
    store.committed = 11;
    feed.push(batch(12));
    await tick(49);
    expect(got).toEqual([]);
    await tick(1);
    expect(store.reads).toEqual([[10, 12]]);
    expect(got).toEqual([11, 12]);
    expect(feed.stats()).toMatchObject({ gapReads: 1, gapMessages: 1, holdTimeMs: 50, held: 0 });
  });

  test('anything at or below what was delivered is dropped and counted', () => {
    const { feed, got, batch } = setup();
    feed.push(batch(1, 2));
    feed.push(batch(1, 2));
    feed.push(batch(3));
    feed.push(batch(2, 3));
    expect(got).toEqual([1, 2, 3]);
    expect(feed.stats().duplicates).toBe(4);
  });

  test('the periodic check catches trailing messages whose publish never arrived', async () => {
    const { feed, got, batch, tick, store } = setup();
    feed.push(batch(1));
    store.committed = 4;
    await tick(999);
    expect(got).toEqual([1]);
    await tick(1);
    expect(got).toEqual([1]);
    await tick(50);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(store.reads).toEqual([[1, 4]]);
  });

  test('an empty batch is a wake-up: the range is read at once', async () => {
    const { feed, got, tick, store } = setup();
    store.committed = 3;
    feed.push({ lastId: 3, messages: [] });
    await tick(0);
    expect(got).toEqual([1, 2, 3]);
  });

  test('a failing read is reported and retried until the store answers', async () => {
    const errors: unknown[] = [];
    const { feed, got, batch, tick, store } = setup({ onError: (e) => errors.push(e) });
    store.fail = 2;
    store.committed = 1;
    feed.push(batch(2));
    await tick(50);
    await tick(50);
    expect(got).toEqual([]);
    await tick(50);
    expect(got).toEqual([1, 2]);
    expect(errors.length).toBe(2);
    expect(feed.stats().errors).toBe(2);
  });

  test('ids deleted by retention are skipped, and big holes are read in chunks', async () => {
    const { feed, got, batch, tick, store } = setup({ maxRead: 3 });
    store.committed = 7;
    store.deleted.add(2).add(5);
    feed.push(batch(8));
    await tick(50);
    expect(got).toEqual([1, 3, 4, 6, 7, 8]);
    expect(store.reads).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
    ]);
  });

  test('nothing is delivered after close', async () => {
    const { feed, got, batch, tick, clock } = setup();
    feed.push(batch(2));
    feed.close();
    await tick(5000);
    feed.push(batch(1));
    expect(got).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
