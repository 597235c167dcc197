import { afterAll, describe, expect, test } from 'bun:test';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { Broker, BrokerBatch } from '../../src/cluster/broker.ts';
import { PostgresBroker } from '../../src/cluster/broker-postgres.ts';
import { RedisBroker } from '../../src/cluster/broker-redis.ts';
import { OrderedFeed } from '../../src/cluster/ordered-feed.ts';
import type { Message } from '../../src/messages/types.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { createTestRedis } from '../helpers/redis.ts';

/**
 * A receiving node's broker connection is killed from the server side while
 * batches keep being published: what was published meanwhile is lost, the
 * broker reconnects by itself, and the ordered feed still delivers every id.
 */
const redis = await createTestRedis(import.meta.path);
const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const closers: (() => Promise<unknown>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

function message(id: number): Message {
  const at = new Date(1_767_225_600_000 + id).toISOString();
  return {
    id,
    from: null,
    to: null,
    channel: 'room',
    type: 't',
    payload: { id },
    createdAt: at,
    expiresAt: null,
    deliveredAt: null,
  };
}

/**
 * Commits (appends to `log`) and publishes 30 one-message batches, killing the
 * receiver's connection after the first 10 and waiting for it to reconnect after 20.
 */
async function scenario(
  log: Message[],
  publisher: Broker,
  receiver: Broker,
  kill: () => Promise<void>,
  reconnected: () => Promise<void>,
) {
  const got: number[] = [];
  let received = 0;
  const total = 30;
  let finished = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const feed = new OrderedFeed<Message>({
    startAfter: 0,
    holdMs: 20,
    checkEveryMs: 100,
    readRange: async (after, upto) => log.filter((m) => m.id > after && m.id <= upto),
    lastId: async () => log.length,
    deliver(run) {
      got.push(...run.map((m) => m.id));
      if (got.at(-1) === total) finished();
    },
  });
  receiver.subscribe((batch: BrokerBatch) => {
    received++;
    feed.push(batch);
  });
  await Promise.all([publisher.ready(), receiver.ready()]);
  const publish = async () => {
    const m = message(log.length + 1);
    log.push(m);
    await publisher.publish({ lastId: m.id, messages: [m] });
  };
  for (let i = 0; i < 10; i++) await publish();
  await kill();
  // All at once, so they are out before the receiver could possibly be back.
  await Promise.all(Array.from({ length: 10 }, publish));
  await reconnected();
  for (let i = 0; i < 10; i++) await publish();
  await done;
  feed.close();
  expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(received).toBeLessThan(total);
  // What the broker lost came from the store; a batch that arrived after its read is counted as a duplicate.
  const stats = feed.stats();
  expect(stats.gapMessages).toBeGreaterThan(0);
  expect(stats.gapMessages).toBe(total - received + stats.duplicates);
}

describe('a broker connection killed under load', () => {
  (redis ? test : test.skip)(
    'Redis: the subscriber is killed, ioredis resubscribes, the feed fills the loss',
    async () => {
      const options = { url: redis!.url, prefix: redis!.prefix, onError: () => {} };
      const publisher = new RedisBroker(options);
      const receiver = new RedisBroker(options);
      const admin = new Redis(redis!.url);
      closers.push(
        () => publisher.close(),
        () => receiver.close(),
        () => admin.quit(),
      );
      const id = await receiver.subscriber.client('ID');
      const resubscribed = new Promise<void>((resolve) => receiver.subscriber.once('ready', () => resolve()));
      await scenario(
        [],
        publisher,
        receiver,
        async () => {
          await admin.client('KILL', 'ID', String(id));
        },
        () => resubscribed,
      );
    },
  );

  (db ? test : test.skip)(
    'PostgreSQL: the LISTEN session is terminated, postgres-js listens again, the feed fills the loss',
    async () => {
      const pubClient = postgres(db!.url(), { max: 1, onnotice: () => {} });
      const subClient = postgres(db!.url(), {
        max: 1,
        onnotice: () => {},
        connection: { application_name: 'rk_listener' },
      });
      closers.push(
        () => pubClient.end({ timeout: 1 }),
        () => subClient.end({ timeout: 1 }),
      );
      const log: Message[] = [];
      const publisher = new PostgresBroker({ client: pubClient, readRange: async () => [], channel: 'faults' });
      let relistened = () => {};
      const again = new Promise<void>((resolve) => {
        relistened = resolve;
      });
      let listens = 0;
      await subClient.listen(
        'faults_probe',
        () => {},
        () => {
          if (++listens === 2) relistened();
        },
      );
      const receiver = new PostgresBroker({
        client: subClient,
        readRange: async (after, upto) => log.filter((m) => m.id > after && m.id <= upto),
        channel: 'faults',
        onError: () => {},
      });
      closers.push(
        () => publisher.close(),
        () => receiver.close(),
      );
      await scenario(
        log,
        publisher,
        receiver,
        async () => {
          await pubClient`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'rk_listener'`;
        },
        () => again,
      );
    },
  );
});
