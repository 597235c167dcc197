import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { MemoryEventBus } from '../../src/kernel/bus-memory.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { createCoreMetrics } from '../../src/kernel/metrics.ts';
import { LocalLivePath } from '../../src/messages/live.ts';
import * as pgKernel from '../../src/messages/schema.pg.ts';
import { MessageCore, type MessageHooks } from '../../src/messages/service.ts';
import type { MessageStore } from '../../src/messages/store.ts';
import { kernelTables } from '../../src/messages/store-sql.ts';
import type { Message } from '../../src/messages/types.ts';
import type { OpenedStore } from '../../src/storage/open.ts';
import type { RowGuard, Storage } from '../../src/storage/storage.ts';

/** Opens a fresh, empty, migrated store (a new file, a new schema ...). */
export type OpenStore = () => Promise<OpenedStore>;

const T0 = Date.parse('2026-01-01T00:00:00Z');
const tables = { ...kernelTables, postgres: { messages: pgKernel.messages, hubMeta: pgKernel.hubMeta } };

function row(i: number, extra: Partial<{ channel: string | null; to: string | null; expiresAt: number | null }> = {}) {
  return {
    from: 'tester',
    to: extra.to ?? null,
    channel: extra.channel === undefined ? 'room' : extra.channel,
    type: i % 2 ? 'odd' : 'even',
    payload: JSON.stringify({ i }),
    createdAt: T0 + i,
    expiresAt: extra.expiresAt ?? null,
  };
}

/**
 * The contract every store passes (bun:sqlite, node:sqlite, PostgreSQL): explicit
 * transactions, the message store's statements, retention and the message core's
 * group commit over it. `open` is called once per test.
 */
export function storageContract(name: string, open: OpenStore | null) {
  const maybe = open ? describe : describe.skip;
  maybe(`Storage contract: ${name}`, () => {
    const opened: Storage[] = [];
    let storage: Storage;
    let store: MessageStore;
    const fresh = async () => {
      const o = await (open as OpenStore)();
      opened.push(o.storage);
      storage = o.storage;
      store = o.messages;
      return o;
    };
    afterEach(async () => {
      while (opened.length) await opened.pop()?.close();
    });
    afterAll(async () => {
      while (opened.length) await opened.pop()?.close();
    });
    /** A message core over the current store running `hook`, whose committed messages reach `bus` as `message.sent`. */
    const coreWith = async (hook: MessageHooks) => {
      const bus = new MemoryEventBus(() => {});
      const live = new LocalLivePath(() => store.maxId());
      const metrics = createCoreMetrics(new Registry());
      const core = new MessageCore(
        storage,
        store,
        bus,
        new ManualClock(T0),
        metrics,
        silentLogger,
        () => [hook],
        64,
        live,
      );
      await live.start((message) => bus.publish('message.sent', message));
      return { core, bus };
    };

    test('a transaction commits when its function resolves and rolls back when it throws', async () => {
      await fresh();
      const ids = await storage.transaction((tx) => store.insert(tx, [row(1), row(2)]));
      expect(ids).toHaveLength(2);
      const failed = storage.transaction(async (tx) => {
        await store.insert(tx, [row(3)]);
        throw new Error('hook refused');
      });
      expect(failed).rejects.toThrow('hook refused');
      await failed.catch(() => {});
      const page = await store.list({ limit: 10 }, T0);
      expect(page.map((m) => m.id)).toEqual(ids);
      expect(await store.maxId()).toBe(ids[1]);
    });

    test('ids ascend with commit order across concurrent transactions, without holes from rollbacks', async () => {
      await fresh();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          storage.transaction(async (tx) => {
            const ids = await store.insert(tx, [row(i * 2), row(i * 2 + 1)]);
            if (i === 3) throw new Error('rolled back');
            return ids;
          }),
        ),
      );
      const committed = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      expect(committed).toHaveLength(14);
      const stored = (await store.list({ limit: 100 }, T0)).map((m) => m.id);
      expect(stored).toEqual([...committed].sort((a, b) => a - b));
      for (let i = 1; i < stored.length; i++) expect(stored[i]).toBeGreaterThan(stored[i - 1]);
    });

    test('a transaction sees its own writes; the database outside it does not until the commit', async () => {
      await fresh();
      const t = storage.tables(tables);
      await storage.transaction(async (tx) => {
        await tx.insert(t.hubMeta).values({ key: 'k', value: 'v' });
        const inside = await tx.select().from(t.hubMeta).where(eq(t.hubMeta.key, 'k'));
        expect(inside).toEqual([{ key: 'k', value: 'v' }]);
      });
      expect(await storage.db.select().from(t.hubMeta).where(eq(t.hubMeta.key, 'k'))).toEqual([
        { key: 'k', value: 'v' },
      ]);
    });

    test('a query outside an open transaction neither sees its uncommitted writes nor joins it', async () => {
      await fresh();
      const t = storage.tables(tables);
      let paused!: () => void;
      const atAwait = new Promise<void>((resolve) => {
        paused = resolve;
      });
      let resume!: () => void;
      const released = new Promise<void>((resolve) => {
        resume = resolve;
      });
      // A transaction that writes, then waits at an await (as one does for a hook or a lock).
      const rolledBack = storage.transaction(async (tx) => {
        await tx.insert(t.hubMeta).values({ key: 'inside', value: 'uncommitted' });
        const [id] = await store.insert(tx, [row(1)]);
        paused();
        await released;
        // The transaction's own handle still sees its writes while others wait.
        expect(await tx.select().from(t.hubMeta).where(eq(t.hubMeta.key, 'inside'))).toHaveLength(1);
        throw new Error(`roll back message ${id}`);
      });
      await atAwait;
      // Issued by other tasks while it is paused: a read, the message core's read, a write.
      const read = storage.db.select().from(t.hubMeta);
      const message = store.get(1, T0);
      const written = storage.db.insert(t.hubMeta).values({ key: 'outside', value: 'committed' });
      const results = Promise.all([read, message, written]);
      resume();
      await expect(rolledBack).rejects.toThrow('roll back message');
      const [seen, got] = await results;
      expect(seen.filter((r) => r.key === 'inside')).toEqual([]);
      expect(got).toBeNull();
      // The outside write was its own: the rollback did not take it along.
      expect(await storage.db.select().from(t.hubMeta)).toEqual([{ key: 'outside', value: 'committed' }]);
      expect(await store.list({ limit: 10 }, T0)).toEqual([]);
    });

    test('an outside write and a second transaction issued while a transaction waits all complete, nothing lost', async () => {
      await fresh();
      const t = storage.tables(tables);
      const first = storage.transaction(async (tx) => {
        await tx.insert(t.hubMeta).values({ key: 'a', value: '1' });
        // Give every other task a chance to run its query now.
        for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
      });
      const outside = (async () => {
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        await storage.db.insert(t.hubMeta).values({ key: 'b', value: '2' });
      })();
      const second = storage.transaction(async (tx) => {
        await tx.insert(t.hubMeta).values({ key: 'c', value: '3' });
      });
      await Promise.all([first, outside, second]);
      const rows = await storage.db.select().from(t.hubMeta);
      expect(rows.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: '3' },
      ]);
    });

    test('reads filter by channel, recipient and type, hide expired messages, and page by id', async () => {
      await fresh();
      const [a, b, c, d] = await storage.transaction((tx) =>
        store.insert(tx, [
          row(1, { channel: 'x' }),
          row(2, { channel: null, to: 'bob' }),
          row(3, { channel: 'y', expiresAt: T0 + 1000 }),
          row(4, { channel: 'x', to: 'bob' }),
        ]),
      );
      expect((await store.get(a, T0))?.payload).toEqual({ i: 1 });
      expect(await store.get(c, T0 + 1000)).toBeNull();
      expect((await store.list({ channel: 'x', limit: 10 }, T0)).map((m) => m.id)).toEqual([a, d]);
      expect((await store.list({ client: 'bob', limit: 10 }, T0)).map((m) => m.id)).toEqual([b, d]);
      expect((await store.list({ type: 'odd', after: a, limit: 10 }, T0)).map((m) => m.id)).toEqual([c]);
      const replay = await store.replay({ after: 0, channels: ['y'], to: 'bob', limit: 10 }, T0);
      expect(replay.map((m) => m.id)).toEqual([b, c, d]);
      expect(
        (await store.replay({ after: 0, channels: ['y'], to: 'bob', limit: 10 }, T0 + 1000)).map((m) => m.id),
      ).toEqual([b, d]);
      expect((await store.replay({ after: b, all: true, limit: 2 }, T0)).map((m) => m.id)).toEqual([c, d]);
      expect(await store.replay({ after: 0, limit: 10 }, T0)).toEqual([]);
    });

    test('a message read encoded is byte for byte the JSON of the message read whole, and hidden the same way', async () => {
      await fresh();
      const payloads = [
        {
          s: 'quote " backslash \\ \u2028 é 😀',
          n: [1.5e300, -0, 0.1, null, true],
          o: JSON.parse('{"__proto__":1,"":{}}'),
        },
        'just a string',
        42,
        null,
        [],
      ];
      const ids = await storage.transaction((tx) =>
        store.insert(
          tx,
          payloads.map((payload, i) => ({
            ...row(i, { to: i % 2 ? 'bob' : null, expiresAt: i === 1 ? T0 + 1000 : null }),
            payload: JSON.stringify(JSON.parse(JSON.stringify(payload))),
          })),
        ),
      );
      await store.markDelivered(ids[2], 'bob', T0 + 5);
      for (const id of ids) {
        const whole = await store.get(id, T0);
        const encoded = await store.getEncoded(id, T0);
        expect(encoded?.json).toBe(JSON.stringify(whole));
        expect(encoded?.head).toMatchObject({ from: whole?.from, to: whole?.to, channel: whole?.channel } as never);
      }
      expect(await store.getEncoded(ids[1], T0 + 1000)).toBeNull();
      expect(await store.getEncoded(ids[4] + 100, T0)).toBeNull();
    });

    test('a message is marked delivered once', async () => {
      await fresh();
      const [id] = await storage.transaction((tx) => store.insert(tx, [row(1)]));
      const first = await store.markDelivered(id, 'bob', T0 + 5);
      expect(first?.deliveredAt).toBe(new Date(T0 + 5).toISOString());
      expect(await store.markDelivered(id, 'carol', T0 + 6)).toBeNull();
      expect(await store.markDelivered(id + 100, 'bob', T0)).toBeNull();
    });

    test('retention deletes due messages by expiry, returns them, and the horizon only moves forward', async () => {
      await fresh();
      const ids = await storage.transaction((tx) =>
        store.insert(tx, [
          row(1, { expiresAt: T0 + 30 }),
          row(2, { expiresAt: T0 + 10 }),
          row(3, { expiresAt: T0 + 20 }),
          row(4),
        ]),
      );
      expect(await store.countExpiring('due', T0 + 20, 100)).toBe(2);
      expect(await store.countExpiring('scheduled', T0 + 20, 100)).toBe(1);
      expect(await store.earliestExpiry(T0 + 10)).toBe(T0 + 20);
      expect(await store.earliestExpiry(null)).toBe(T0 + 10);
      const deleted = await storage.transaction(async (tx) => {
        const rows = await store.deleteExpired(tx, T0 + 20, 1, true);
        await store.raiseHorizon(tx, Math.max(...rows.map((r) => r.id)));
        return rows;
      });
      expect(deleted.map((r) => [r.id, r.payload])).toEqual([[ids[1], JSON.stringify({ i: 2 })]]);
      expect(await store.horizon()).toBe(ids[1]);
      const rest = await storage.transaction((tx) => store.deleteExpired(tx, T0 + 1000, 10, false));
      expect(rest.map((r) => [r.id, r.type]).sort()).toEqual(
        [
          [ids[0], 'odd'],
          [ids[2], 'odd'],
        ].sort(),
      );
      await storage.transaction((tx) => store.raiseHorizon(tx, 1));
      expect(await store.horizon()).toBe(ids[1]);
      // Deleting the newest rows does not lower the last id: it stays a valid cursor.
      expect(await store.maxId()).toBe(ids[3]);
    });

    test('an expiry is set only on a message that has not expired', async () => {
      await fresh();
      const [live, gone] = await storage.transaction((tx) =>
        store.insert(tx, [row(1, { expiresAt: T0 + 100 }), row(2, { expiresAt: T0 })]),
      );
      expect(await store.setExpiry(live, T0 + 500, T0)).toBe(true);
      expect((await store.get(live, T0 + 400))?.expiresAt).toBe(new Date(T0 + 500).toISOString());
      expect(await store.setExpiry(gone, null, T0)).toBe(false);
    });

    test('the message core commits concurrent sends together, runs afterInsert in the transaction, and acknowledges only committed messages', async () => {
      await fresh();
      const t = storage.tables(tables);
      let refuse = false;
      const hook: MessageHooks = {
        async afterInsert(tx, messages) {
          for (const m of messages) await tx.insert(t.hubMeta).values({ key: `seen:${m.id}`, value: m.type });
          if (refuse) throw new Error('the outbox refused');
        },
      };
      const { core, bus } = await coreWith(hook);
      const sent: Message[] = [];
      bus.on('message.sent', (m) => {
        sent.push(m);
      });
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, i) => core.send({ type: 'chat', channel: 'c', payload: i })),
      );
      expect(batch.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(sent.map((m) => m.id)).toEqual(batch.map((m) => m.id));
      const seen = await storage.db.select().from(t.hubMeta);
      expect(seen.filter((r) => r.key.startsWith('seen:'))).toHaveLength(20);
      refuse = true;
      expect(core.send({ type: 'chat', payload: 'x' })).rejects.toThrow();
      await core.flush();
      expect((await core.list({ limit: 100 })).length).toBe(20);
      expect(await core.lastId()).toBe(batch[19].id);
      await core.advanceHorizon(batch[4].id);
      expect(await core.horizon()).toBe(batch[4].id);
    });

    test('a batch committed on its own under a guard is written only while the guard holds, else nothing is and the hook gets its transaction', async () => {
      await fresh();
      const t = storage.tables(tables);
      // The guarded row: message 1, whose created_at plays the version a node's cache was built from.
      const [first] = (await store.insertCommitted([row(1)])) as number[];
      const guardAt = (expected: number): RowGuard => ({
        table: t.messages,
        key: { column: t.messages.id, value: first },
        column: t.messages.createdAt,
        expected,
      });
      expect(await store.insertCommitted([row(2), row(3)], { guards: [guardAt(T0 + 1)] })).toEqual([
        first + 1,
        first + 2,
      ]);
      // Moved on: nothing written, no id taken.
      await storage.db
        .update(t.messages)
        .set({ createdAt: T0 + 100 })
        .where(eq(t.messages.id, first));
      expect(await store.insertCommitted([row(4)], { guards: [guardAt(T0 + 1)] })).toBeNull();
      expect(await store.insertCommitted([row(4)], { guards: [guardAt(T0 + 100), guardAt(T0 + 1)] })).toBeNull();
      // A missing row never holds.
      const gone = { ...guardAt(T0 + 100), key: { column: t.messages.id, value: first + 1000 } };
      expect(await store.insertCommitted([row(4)], { guards: [gone] })).toBeNull();
      expect(await store.maxId()).toBe(first + 2);

      // Through the message core: a hook with nothing to write, whose guard no longer holds.
      let expected = T0 + 1;
      const calls: number[][] = [];
      const hook: MessageHooks = {
        writesAfterInsert: () => false,
        skipGuard: () => guardAt(expected),
        async afterInsert(_tx, messages) {
          calls.push(messages.map((m) => m.id));
        },
      };
      const { core } = await coreWith(hook);
      const stale = await core.send({ type: 'chat', channel: 'c', payload: 'stale' });
      expect(stale.id).toBe(first + 3);
      expect(calls).toEqual([[stale.id]]);
      expected = T0 + 100;
      const current = await core.send({ type: 'chat', channel: 'c', payload: 'current' });
      expect(current.id).toBe(first + 4);
      expect(calls).toEqual([[stale.id]]);
    });

    test('a batch no hook writes for commits on its own, with dense ids; a batch a hook writes for still gets its transaction', async () => {
      await fresh();
      const t = storage.tables(tables);
      const calls: number[][] = [];
      const hook: MessageHooks = {
        writesAfterInsert: (drafts) => drafts.some((d) => d.input.channel === 'hooked'),
        async afterInsert(tx, messages) {
          calls.push(messages.map((m) => m.id));
          for (const m of messages) await tx.insert(t.hubMeta).values({ key: `seen:${m.id}`, value: m.type });
        },
      };
      const { core, bus } = await coreWith(hook);
      const sent: number[] = [];
      bus.on('message.sent', (m) => {
        sent.push(m.id);
      });
      const plain = await Promise.all(
        Array.from({ length: 10 }, (_, i) => core.send({ type: 'chat', channel: 'plain', payload: i })),
      );
      expect(calls).toEqual([]);
      expect(sent).toEqual(plain.map((m) => m.id));
      expect(plain.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => plain[0].id + i));
      expect((await core.list({ channel: 'plain', limit: 100 })).map((m) => m.payload)).toEqual(
        plain.map((m) => m.payload),
      );
      const hooked = await core.send({ type: 'chat', channel: 'hooked', payload: 'x' });
      expect(hooked.id).toBe(plain[9].id + 1);
      expect(calls).toEqual([[hooked.id]]);
      const seen = await storage.db
        .select()
        .from(t.hubMeta)
        .where(eq(t.hubMeta.key, `seen:${hooked.id}`));
      expect(seen).toHaveLength(1);
    });
  });
}
