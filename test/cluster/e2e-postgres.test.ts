/**
 * Three `relaykit start` nodes on one PostgreSQL database with no broker setting:
 * the live feed rides NOTIFY (sent inside each commit). The LISTEN connections are
 * killed mid-load (notifications are lost until they reconnect) and a node is
 * SIGKILLed; every subscriber on every node still gets every message once, in order.
 */
import { expect, test } from 'bun:test';
import postgres from 'postgres';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../helpers/postgres.ts';
import { runClusterScenario } from './scenario.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');

test.skipIf(!db)(
  'nodes on one PostgreSQL database act as one hub: dense ids, nothing acknowledged lost, every subscriber complete and in order across a node kill',
  async () => {
    if (!db) return;
    await runClusterScenario({
      storageUrl: db.url(),
      dropPublishes: async () => {
        // Every LISTEN session on this test's database: NOTIFYs sent until they reconnect are lost.
        const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
        try {
          const killed = await sql`
            select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname = ${db.name} and query ilike 'listen%'`;
          expect(killed.length).toBeGreaterThan(0);
        } finally {
          await sql.end({ timeout: 1 });
        }
      },
    });
  },
  120_000,
);
