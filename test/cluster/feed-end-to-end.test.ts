import { afterAll, describe, expect, test } from 'bun:test';
import { and, asc, gt, lte } from 'drizzle-orm';
import type { Broker } from '../../src/cluster/broker.ts';
import { notifyStatement, PostgresBroker } from '../../src/cluster/broker-postgres.ts';
import { RedisBroker } from '../../src/cluster/broker-redis.ts';
import { OrderedFeed } from '../../src/cluster/ordered-feed.ts';
import { messages } from '../../src/messages/schema.pg.ts';
import type { Message } from '../../src/messages/types.ts';
import { insertMessages, lastMessageId } from '../../src/storage/postgres/ids.ts';
import { migratePostgres } from '../../src/storage/postgres/migrate.ts';
import { openPostgres, type PostgresStore } from '../../src/storage/postgres/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { createTestRedis } from '../helpers/redis.ts';

/**
 * The blocks together on real parts: 4 writers commit batches on PostgreSQL with
 * dense ids and publish each commit on a broker; 2 receiving nodes run an
 * ordered feed each, and every receiver drops a fifth of the batches it gets
 * (and Redis publishes leave late, out of order). Each node must still deliver
 * every id once, in order.
 */
const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const redis = await createTestRedis(import.meta.path);
const stores: PostgresStore[] = [];
afterAll(() => Promise.all(stores.map((s) => s.close())));

async function open(schema: string): Promise<PostgresStore> {
  const store = await openPostgres(db!.url({ schema }), { max: 6 });
  stores.push(store);
  await migratePostgres(store);
  return store;
}

function readRange(store: PostgresStore) {
  return async (after: number, upto: number): Promise<Message[]> => {
    const rows = await store.db
      .select()
      .from(messages)
      .where(and(gt(messages.id, after), lte(messages.id, upto)))
      .orderBy(asc(messages.id));
    return rows.map((r) => ({
      id: r.id,
      from: r.from,
      to: r.to,
      channel: r.channel,
      type: r.type,
      payload: JSON.parse(r.payload),
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: null,
      deliveredAt: null,
    }));
  };
}

type Kind = 'redis' | 'postgres';

async function run(kind: Kind) {
  const store = await open(`feed_${kind}`);
  const read = readRange(store);
  const brokers: Broker[] = [];
  const broker = (): Broker => {
    const b =
      kind === 'redis'
        ? new RedisBroker({ url: redis!.url, prefix: `${redis!.prefix}${kind}:` })
        : new PostgresBroker({ client: store.client, readRange: read, channel: `feed_${kind}` });
    brokers.push(b);
    return b;
  };
  const WRITERS = 4;
  const BATCHES = 40;
  let total = 0;
  const nodes = [0, 1].map(() => {
    const got: number[] = [];
    let reached = () => {};
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const feed = new OrderedFeed<Message>({
      startAfter: 0,
      holdMs: 20,
      checkEveryMs: 250,
      readRange: read,
      lastId: () => lastMessageId(store.db),
      deliver(run) {
        got.push(...run.map((m) => m.id));
        if (total && got.at(-1) === total) reached();
      },
    });
    const b = broker();
    b.subscribe((batch) => {
      if (Math.random() >= 0.2) feed.push(batch);
    });
    return { got, done, feed, b };
  });
  const publisher = broker();
  await Promise.all([...nodes.map((n) => n.b.ready()), publisher.ready()]);

  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < BATCHES; i++) {
        const rows = Array.from({ length: 1 + ((w + i) % 4) }, (_, k) => ({
          from: `writer-${w}`,
          to: null,
          channel: 'room',
          type: 'chat.message',
          payload: JSON.stringify({ w, i, k }),
          createdAt: Date.now(),
          expiresAt: null,
        }));
        const batch = await store.db.transaction(async (tx) => {
          const ids = await insertMessages(tx, rows);
          const batch = { lastId: ids.at(-1)!, messages: [] as Message[] };
          if (kind === 'postgres') await tx.execute(notifyStatement(batch, `feed_${kind}`));
          return batch;
        });
        if (kind === 'redis') {
          const full = { lastId: batch.lastId, messages: await read(batch.lastId - rows.length, batch.lastId) };
          // Late and out of order: publish after a random delay, without waiting for it.
          setTimeout(() => void publisher.publish(full), Math.random() * 15);
        }
      }
    }),
  );
  total = await lastMessageId(store.db);
  await Promise.all(nodes.map((n) => (n.got.at(-1) === total ? Promise.resolve() : n.done)));
  const expected = Array.from({ length: total }, (_, i) => i + 1);
  for (const n of nodes) {
    expect(n.got).toEqual(expected);
    expect(n.feed.stats().gapReads).toBeGreaterThan(0);
    n.feed.close();
  }
  await Promise.all(brokers.map((b) => b.close()));
  return total;
}

describe('ordered delivery across nodes with lost and late broker batches', () => {
  (db && redis ? test : test.skip)('over Redis pub/sub', async () => {
    expect(await run('redis')).toBeGreaterThan(4 * 40);
  });
  (db ? test : test.skip)('over PostgreSQL NOTIFY sent inside each commit', async () => {
    expect(await run('postgres')).toBeGreaterThan(4 * 40);
  });
});
