import { Database } from 'bun:sqlite';
import ttlPlugin from '../../../plugins/ttl/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

export const ADMIN = 'ttl-admin-token';

/**
 * Starts a hub on a ManualClock with the admin token set and the given ttl options,
 * beside every other built-in, or alone with `alone` (so the clock's timers are its own).
 */
export async function startTtlHub(
  ttl: Record<string, unknown> = {},
  { alone = false } = {},
): Promise<{ t: TestHub; clock: ManualClock }> {
  const clock = new ManualClock();
  const t = await startTestHub({
    clock,
    overrides: { auth: { adminToken: ADMIN }, plugins: { ttl } },
    ...(alone ? { plugins: [ttlPlugin] } : {}),
  });
  return { t, clock };
}

export async function send(
  t: TestHub,
  body: Record<string, unknown>,
): Promise<{ id: number; expiresAt: string | null }> {
  const res = await t.request('/messages', { method: 'POST', json: { channel: 'room', payload: {}, ...body } });
  if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
  return res.json();
}

export interface Stats {
  expired: number;
  archived: number;
  pruned: number;
  pendingExpiry: number;
  scheduled: number;
  archiveRows: number;
  nextExpiry: string | null;
  lagSeconds: number;
  sweeper: { sweeps: number; running: boolean; batchSize: number; lastError: string | null };
}

export async function stats(t: TestHub): Promise<Stats> {
  const res = await t.request('/ttl/stats', { token: ADMIN });
  if (res.status !== 200) throw new Error(`GET /ttl/stats answered ${res.status}`);
  return res.json();
}

/** Moves the clock by `ms` (firing the sweeper's timer) and waits until the sweeps it started have finished. */
export async function advanceAndSweep(t: TestHub, clock: ManualClock, ms: number): Promise<Stats> {
  const before = (await stats(t)).sweeper.sweeps;
  clock.advance(ms);
  let last: Stats | null = null;
  await waitFor(
    async () => {
      last = await stats(t);
      return last.sweeper.sweeps > before && !last.sweeper.running;
    },
    10_000,
    'the sweep to finish',
  );
  return last as unknown as Stats;
}

/** Ids of the rows physically in a table, read through a second connection. */
export function storedIds(t: TestHub, table = 'messages'): number[] {
  const db = new Database(t.dbPath, { readonly: true });
  try {
    return db
      .query<{ id: number }, []>(`SELECT id FROM ${table} ORDER BY id`)
      .all()
      .map((r) => r.id);
  } finally {
    db.close();
  }
}
