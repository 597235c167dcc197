import { afterAll, describe, test } from 'bun:test';
import { PostgresPresence } from '../../src/cluster/presence-postgres.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { openStorage } from '../../src/storage/open.ts';
import type { PostgresStorage } from '../../src/storage/storage-postgres.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { presenceContract } from './presence.contract.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const stores: PostgresStorage[] = [];
afterAll(() => Promise.all(stores.map((s) => s.close())));

if (db) {
  presenceContract('PostgreSQL UNLOGGED tables (PostgresPresence)', async () => {
    // One migrated schema per test: a fresh, empty presence store, with the tables the hub's migrations make.
    const schema = `p_${crypto.randomUUID().replaceAll('-', '')}`;
    const { storage } = await openStorage(db.url({ schema }), bunRuntime);
    const store = storage as PostgresStorage;
    stores.push(store);
    const { client } = store.store;
    return (options) => new PostgresPresence({ ...options, client });
  });
} else {
  describe('Presence contract: PostgreSQL', () => test.skip('PostgreSQL is not answering', () => {}));
}
