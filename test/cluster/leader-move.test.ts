import { afterAll, expect, test } from 'bun:test';
import postgres from 'postgres';
import { waitFor } from '../helpers/hub.ts';
import type { HubUnderTest } from '../helpers/hub-process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, admin, startNodes } from './nodes.ts';

/**
 * One ttl sweeper per cluster: of two nodes on one database only the leader sweeps;
 * SIGKILL it and the other node's sweeper takes over within seconds and deletes
 * what expires after the kill. Run for both ways of electing (advisory lock, lease row).
 */
const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const live: HubUnderTest[] = [];
const sql = db ? postgres(db.url(), { max: 1 }) : null;
afterAll(async () => {
  await Promise.all(live.map((n) => n.dispose()));
  await sql?.end();
});

const sweeps = async (node: HubUnderTest): Promise<number> =>
  (await (await admin(node, '/ttl/stats')).json()).sweeper.sweeps;

/** Rows past their expiry still in the table (reads hide them; only a sweep deletes them). */
async function expiredRows(schema: string): Promise<number> {
  const [row] = await sql!.unsafe(`select count(*)::int as n from "${schema}".messages where expires_at <= $1`, [
    Date.now(),
  ]);
  return row.n;
}

for (const mode of ['advisory', 'lease'] as const) {
  test.skipIf(!db)(`${mode}: the leader's death hands the ttl sweeper to the other node`, async () => {
    const schema = `leader_${mode}`;
    const config = [
      'cluster:',
      '  leadership:',
      `    mode: ${mode}`,
      '    intervalMs: 200',
      '    leaseTtlMs: 1500',
      'plugins:',
      '  ttl:',
      '    sweeper:',
      '      intervalMs: 100',
    ].join('\n');
    const nodes = await startNodes(2, db!.url({ schema }), `${config}\n`);
    live.push(...nodes);

    // Exactly one node sweeps.
    const before = await Promise.all(nodes.map(sweeps));
    await waitFor(
      async () => (await Promise.all(nodes.map(sweeps))).some((n, i) => n > before[i] + 3),
      10_000,
      'a sweep',
    );
    const first = await Promise.all(nodes.map(sweeps));
    await waitFor(
      async () => (await Promise.all(nodes.map(sweeps))).some((n, i) => n > first[i] + 3),
      10_000,
      'sweeps',
    );
    const second = await Promise.all(nodes.map(sweeps));
    const sweeping = second.map((n, i) => n > first[i]);
    expect(sweeping.filter(Boolean).length).toBe(1);
    const leader = nodes[sweeping.indexOf(true)];
    const follower = nodes[sweeping.indexOf(false)];

    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    // Expires one second after the kill: only the follower can delete it.
    await follower.send(
      { channel: 'c', type: 'short', payload: 1, ttl: 1 },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    await waitFor(async () => (await expiredRows(schema)) === 0 && Date.now() - killedAt > 1100, 10_000, 'the sweep');
    const taken = await sweeps(follower);
    await waitFor(async () => (await sweeps(follower)) > taken + 3, 5000, 'the new leader sweeping');
    const [row] = await sql!.unsafe(`select count(*)::int as n from "${schema}".messages`);
    expect(row.n).toBe(0);
  });
}
