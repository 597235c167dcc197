import { afterAll, describe, expect, test } from 'bun:test';
import { asc, gt, sql } from 'drizzle-orm';
import { bigint, pgTable, text } from 'drizzle-orm/pg-core';
import { messages } from '../../src/messages/schema.pg.ts';
import {
  insertGuarded,
  insertMessages,
  lastMessageId,
  type NewPostgresMessage,
} from '../../src/storage/postgres/ids.ts';
import { migratePostgres } from '../../src/storage/postgres/migrate.ts';
import { openPostgres, type PostgresStore } from '../../src/storage/postgres/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const db = await createTestDatabase(import.meta.path);
const withPostgres = db ? test : test.skip;

const stores: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

async function open(schema: string, max = 2): Promise<PostgresStore> {
  const store = await openPostgres(db!.url({ schema }), { max });
  stores.push(store);
  await migratePostgres(store);
  return store;
}

function row(i: number, extra: Partial<NewPostgresMessage> = {}): NewPostgresMessage {
  return {
    from: null,
    to: null,
    channel: `room-${i % 3}`,
    type: 'chat.message',
    payload: JSON.stringify({ i }),
    createdAt: 1_700_000_000_000 + i,
    expiresAt: null,
    ...extra,
  };
}

class Rollback extends Error {}

describe('message ids on PostgreSQL', () => {
  withPostgres('a batch gets consecutive ids in its own order, and rows read back byte for byte', async () => {
    const store = await open('order');
    const payloads = ['{"b":1,  "a":[2,1]}', '"\\u00e9"', 'null', '12.50'];
    const batch = payloads.map((payload, i) =>
      row(i, { payload, from: `u${i}`, to: i % 2 ? 'bob' : null, expiresAt: i === 3 ? 2 ** 52 : null }),
    );
    const ids = await store.db.transaction((tx) => insertMessages(tx, batch));
    expect(ids).toEqual([1, 2, 3, 4]);
    const stored = await store.db.select().from(messages).orderBy(asc(messages.id));
    expect(stored.map((r) => r.payload)).toEqual(payloads);
    expect(stored.map((r) => [r.from, r.to, r.channel, r.createdAt, r.expiresAt])).toEqual(
      batch.map((r) => [r.from, r.to, r.channel, r.createdAt, r.expiresAt]),
    );
    expect(typeof stored[0].createdAt).toBe('number');
    expect(await insertMessages(store.db, [])).toEqual([]);
    expect(await lastMessageId(store.db)).toBe(4);
  });

  withPostgres(
    'a rolled-back batch leaves no hole: the next committed batch continues from the last commit',
    async () => {
      const store = await open('rollback');
      expect(await store.db.transaction((tx) => insertMessages(tx, [row(1), row(2)]))).toEqual([1, 2]);
      await expect(
        store.db.transaction(async (tx) => {
          expect(await insertMessages(tx, [row(3), row(4), row(5)])).toEqual([3, 4, 5]);
          throw new Rollback('the outbox write failed');
        }),
      ).rejects.toThrow(Rollback);
      expect(await store.db.transaction((tx) => insertMessages(tx, [row(6)]))).toEqual([3]);
      const ids = (await store.db.select({ id: messages.id }).from(messages).orderBy(asc(messages.id))).map(
        (r) => r.id,
      );
      expect(ids).toEqual([1, 2, 3]);
      expect(await lastMessageId(store.db)).toBe(3);
    },
  );

  withPostgres(
    'a reader tailing id > cursor against 5 concurrent writers never sees ids out of order nor skips one',
    async () => {
      const WRITERS = 5;
      const TRANSACTIONS = 60;
      const store = await open('tail', WRITERS + 1);
      let writing = true;
      let committed = 0;
      let rolledBack = 0;

      // Each writer commits batches of 1-8 rows; some hold the transaction open a moment after
      // taking their ids (as hooks writing the outbox do) and one in seven rolls back.
      const writer = async (w: number) => {
        for (let t = 0; t < TRANSACTIONS; t++) {
          const size = 1 + ((w * 31 + t * 7) % 8);
          const batch = Array.from({ length: size }, (_, i) => row(t * 10 + i, { from: `writer-${w}` }));
          try {
            await store.db.transaction(async (tx) => {
              await insertMessages(tx, batch);
              if ((t + w) % 3 === 0) await tx.execute(sql`select pg_sleep(0.002)`);
              if ((t * WRITERS + w) % 7 === 0) throw new Rollback();
            });
            committed += size;
          } catch (err) {
            if (!(err instanceof Rollback)) throw err;
            rolledBack += size;
          }
        }
      };

      // The reader polls like a resuming subscriber: every row after the cursor, in id order.
      const seen: number[] = [];
      const reader = async () => {
        let cursor = 0;
        for (;;) {
          const done = !writing;
          const page = await store.db
            .select({ id: messages.id })
            .from(messages)
            .where(gt(messages.id, cursor))
            .orderBy(asc(messages.id))
            .limit(500);
          for (const { id } of page) {
            // Dense and commit-ordered: the next row after the cursor is always cursor + 1.
            if (id !== cursor + 1) throw new Error(`reader at ${cursor} saw ${id}: skipped or out of order`);
            seen.push(id);
            cursor = id;
          }
          if (done && page.length === 0) return;
        }
      };

      const reading = reader();
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      writing = false;
      await reading;

      expect(rolledBack).toBeGreaterThan(0);
      expect(committed).toBeGreaterThan(WRITERS * TRANSACTIONS);
      expect(seen.length).toBe(committed);
      expect(seen.at(-1)).toBe(committed);
      expect(await lastMessageId(store.db)).toBe(committed);
      const [count] = await store.db.execute<{ n: number; max: number }>(
        sql`select count(*)::int as n, max(id)::int as max from messages`,
      );
      expect(count).toEqual({ n: committed, max: committed });
    },
    60_000,
  );

  withPostgres(
    'a batch committed as one statement announces its first:last ids on the channel given, once',
    async () => {
      const store = await open('announced');
      const heard: string[] = [];
      const listener = await open('announced', 1);
      await listener.client.listen('rk_test_feed', (payload) => heard.push(payload));
      await insertMessages(store.db, [row(1)]);
      const ids = await insertMessages(store.db, [row(2), row(3), row(4)], 'rk_test_feed');
      expect(ids).toEqual([2, 3, 4]);
      // A later announced commit on the same connection: notifications arrive in commit order.
      await insertMessages(store.db, [row(5)], 'rk_test_feed');
      for (let i = 0; heard.length < 2 && i < 200; i++) await Bun.sleep(10);
      expect(heard).toEqual(['2:4', '5:5']);
    },
  );

  withPostgres(
    'a guarded batch is written and announced only while its guard holds; a failed guard takes no id and announces nothing',
    async () => {
      const store = await open('guarded');
      const heard: string[] = [];
      const listener = await open('guarded', 1);
      await listener.client.listen('rk_test_guarded', (payload) => heard.push(payload));
      await store.client.unsafe('create table guard_rows (k text primary key, v bigint not null)');
      await store.client.unsafe("insert into guard_rows values ('version', 7)");
      const guardRows = pgTable('guard_rows', {
        k: text('k').primaryKey(),
        v: bigint('v', { mode: 'number' }).notNull(),
      });
      const guard = (expected: number) => ({
        table: guardRows,
        key: { column: guardRows.k, value: 'version' },
        column: guardRows.v,
        expected,
      });
      expect(await insertGuarded(store.db, [row(1), row(2)], 'rk_test_guarded', [guard(7)])).toEqual([1, 2]);
      expect(await insertGuarded(store.db, [row(3)], 'rk_test_guarded', [guard(6)])).toBeNull();
      expect(await insertGuarded(store.db, [row(3)], undefined, [guard(6)])).toBeNull();
      expect(await insertGuarded(store.db, [row(3)], undefined, [guard(7)])).toEqual([3]);
      expect(await insertGuarded(store.db, [row(4)], 'rk_test_guarded', [guard(7)])).toEqual([4]);
      for (let i = 0; heard.length < 2 && i < 200; i++) await Bun.sleep(10);
      expect(heard).toEqual(['1:2', '4:4']);
      expect(await lastMessageId(store.db)).toBe(4);
    },
  );
});
