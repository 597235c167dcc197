import { afterAll, describe, test } from 'bun:test';
import postgres from 'postgres';
import { PostgresPresence } from '../../src/cluster/presence-postgres.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { presenceContract } from './presence.contract.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const clients: postgres.Sql[] = [];
afterAll(() => Promise.all(clients.map((c) => c.end({ timeout: 1 }))));

if (db) {
  presenceContract('PostgreSQL UNLOGGED tables (PostgresPresence)', async () => {
    // One schema per test: a fresh, empty presence store.
    const schema = `p_${crypto.randomUUID().replaceAll('-', '')}`;
    const setup = postgres(db.url(), { max: 1, onnotice: () => {} });
    await setup.unsafe(`create schema ${schema}`);
    await setup.end();
    const client = postgres(db.url(), { max: 3, onnotice: () => {}, connection: { search_path: schema } });
    clients.push(client);
    return (options) => new PostgresPresence({ ...options, client });
  });
} else {
  describe('Presence contract: PostgreSQL', () => test.skip('PostgreSQL is not answering', () => {}));
}
