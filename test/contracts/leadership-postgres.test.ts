import { afterAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { AdvisoryLeadership, LeaseLeadership } from '../../src/cluster/leadership-postgres.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { leadershipContract } from './leadership.contract.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const admin = db ? postgres(db.url(), { max: 1, onnotice: () => {} }) : null;
afterAll(() => admin?.end({ timeout: 1 }));

function connect(applicationName: string): postgres.Sql {
  return postgres(db!.url(), { max: 1, onnotice: () => {}, connection: { application_name: applicationName } });
}

/** Ends the sessions of one candidate from outside, as a crash or a network cut would. */
async function terminate(applicationName: string): Promise<number> {
  const rows =
    await admin!`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${applicationName}`;
  return rows.length;
}

if (db) {
  leadershipContract('PostgreSQL session advisory lock (AdvisoryLeadership)', (n) => {
    const clock = new ManualClock();
    const name = crypto.randomUUID();
    const apps = Array.from({ length: n }, (_, i) => `rk_lead_${name.slice(0, 8)}_${i}`);
    const candidates = apps.map(
      (app) => new AdvisoryLeadership({ name, connection: connect(app), everyMs: 100, clock }),
    );
    return {
      candidates,
      async round() {
        clock.advance(100);
        await Promise.all(candidates.map((c) => c.round()));
      },
      async kill(i) {
        expect(await terminate(apps[i])).toBe(1);
        await candidates[i].close();
      },
      async close() {
        await Promise.all(candidates.map((c) => c.close()));
      },
    };
  });

  leadershipContract('PostgreSQL lease row (LeaseLeadership)', (n) => {
    const clock = new ManualClock();
    const name = crypto.randomUUID();
    const clients = Array.from({ length: n }, (_, i) => connect(`rk_lease_${i}`));
    // A killed candidate's failing renewals are reported here, not printed.
    const onError = () => {};
    const candidates = clients.map(
      (client, i) =>
        new LeaseLeadership({ name, nodeId: `node-${i}`, client, ttlMs: 600, everyMs: 150, clock, onError }),
    );
    return {
      candidates,
      async round() {
        clock.advance(150);
        await Promise.all(candidates.map((c) => c.round()));
        // A lease expires by the database's clock: let some real time pass between rounds.
        await Bun.sleep(20);
      },
      async kill(i) {
        await clients[i].end({ timeout: 0 });
      },
      async close() {
        await Promise.all(candidates.map((c) => c.close()));
        await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
      },
    };
  });

  describe('advisory leadership when the session dies but the node lives', () => {
    test('the holder notices at its next round and steps down; a candidate has taken the lock', async () => {
      const clock = new ManualClock();
      const name = crypto.randomUUID();
      const errors: unknown[] = [];
      const onError = (e: unknown) => errors.push(e);
      const a = new AdvisoryLeadership({ name, connection: connect('rk_lead_a'), everyMs: 100, clock, onError });
      expect(await a.round()).toBe(true);
      const b = new AdvisoryLeadership({ name, connection: connect('rk_lead_b'), everyMs: 100, clock, onError });
      expect(await b.round()).toBe(false);
      const told: boolean[] = [];
      a.onChange((leader) => told.push(leader));
      const [{ pid }] = await admin!`select pid from pg_stat_activity where application_name = 'rk_lead_a'`;
      await admin!`select pg_terminate_backend(${pid})`;
      // The server frees the lock when the backend has exited.
      while ((await admin!`select 1 from pg_stat_activity where pid = ${pid}`).length) await Bun.sleep(5);
      expect(await b.round()).toBe(true);
      expect(a.isLeader()).toBe(true);
      expect(await a.round()).toBe(false);
      expect(told).toEqual([false]);
      expect(await a.round()).toBe(false);
      expect(await b.round()).toBe(true);
      await Promise.all([a.close(), b.close()]);
    });
  });

  describe('advisory leadership and schemas', () => {
    test('hubs on two schemas of one database are two clusters: each elects its own leader', async () => {
      const clock = new ManualClock();
      const name = 'ttl-sweeper';
      const tag = crypto.randomUUID().slice(0, 8);
      await admin!.unsafe(`create schema if not exists "rk_a_${tag}"; create schema if not exists "rk_b_${tag}"`);
      const inSchema = (schema: string) =>
        postgres(db!.url(), { max: 1, onnotice: () => {}, connection: { search_path: schema } });
      // Each candidate's first round starts at construction: create them one after another.
      const a1 = new AdvisoryLeadership({ name, connection: inSchema(`rk_a_${tag}`), everyMs: 100, clock });
      const others: AdvisoryLeadership[] = [];
      try {
        expect(await a1.round()).toBe(true);
        // Same schema: one leader. Another schema of the same database: its own leader.
        const a2 = new AdvisoryLeadership({ name, connection: inSchema(`rk_a_${tag}`), everyMs: 100, clock });
        others.push(a2);
        expect(await a2.round()).toBe(false);
        const b1 = new AdvisoryLeadership({ name, connection: inSchema(`rk_b_${tag}`), everyMs: 100, clock });
        others.push(b1);
        expect(await b1.round()).toBe(true);
      } finally {
        await Promise.all([a1, ...others].map((c) => c.close()));
        await admin!.unsafe(`drop schema "rk_a_${tag}" cascade; drop schema "rk_b_${tag}" cascade`);
      }
    });
  });
} else {
  describe('Leadership contract: PostgreSQL', () => test.skip('PostgreSQL is not answering', () => {}));
}
