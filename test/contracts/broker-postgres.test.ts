import { afterAll, describe, expect, test } from 'bun:test';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { BrokerBatch } from '../../src/cluster/broker.ts';
import { notifyStatement, PostgresBroker } from '../../src/cluster/broker-postgres.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { brokerContract } from './broker.contract.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const clients: postgres.Sql[] = [];
afterAll(() => Promise.all(clients.map((c) => c.end({ timeout: 1 }))));

if (db) {
  brokerContract('PostgreSQL LISTEN/NOTIFY (PostgresBroker)', async ({ readRange, onError }) => {
    // Two pools, as two nodes have; one channel name per test so tests never hear each other.
    const channel = `feed_${crypto.randomUUID().replaceAll('-', '')}`;
    const make = () => {
      const client = postgres(db.url(), { max: 2, onnotice: () => {} });
      clients.push(client);
      return new PostgresBroker({ client, readRange, channel, onError });
    };
    return [make(), make()];
  });

  describe('NOTIFY inside the commit transaction', () => {
    test('announces committed batches only, in commit order', async () => {
      const client = postgres(db.url(), { max: 2, onnotice: () => {} });
      clients.push(client);
      const seen: BrokerBatch[] = [];
      const broker = new PostgresBroker({ client, channel: 'tx_feed', readRange: async () => [] });
      const third = new Promise<void>((resolve) =>
        broker.subscribe((batch) => {
          seen.push(batch);
          if (batch.lastId === 3) resolve();
        }),
      );
      await broker.ready();
      const orm = drizzle(client);
      await orm.transaction((tx) => tx.execute(notifyStatement({ lastId: 1, messages: [] }, 'tx_feed')));
      await orm
        .transaction(async (tx) => {
          await tx.execute(notifyStatement({ lastId: 2, messages: [] }, 'tx_feed'));
          throw new Error('roll back');
        })
        .catch(() => {});
      await orm.transaction((tx) => tx.execute(notifyStatement({ lastId: 3, messages: [] }, 'tx_feed')));
      await third;
      expect(seen.map((b) => b.lastId)).toEqual([1, 3]);
      await broker.close();
    });
  });
} else {
  describe('Broker contract: PostgreSQL', () => test.skip('PostgreSQL is not answering', () => {}));
}
