import { afterAll, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { isStorageUnavailable } from '../../src/storage/postgres/errors.ts';
import { openPostgres, type PostgresStore } from '../../src/storage/postgres/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { freePort } from '../helpers/process.ts';

const db = await createTestDatabase(import.meta.path);
const withPostgres = db ? test : test.skip;
const stores: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('it succeeded');
}

describe('telling an unavailable database from a bad statement', () => {
  test('nothing listening at start is unavailability', async () => {
    const err = await failure(() => openPostgres(`postgres://a@127.0.0.1:${freePort()}/x?sslmode=disable`));
    expect(isStorageUnavailable(err)).toBe(true);
  });

  withPostgres('a backend terminated mid-query is unavailability, and the pool recovers by itself', async () => {
    const store = await openPostgres(db!.url(), { max: 1 });
    stores.push(store);
    const [{ pid }] = await store.db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const running = failure(() => store.db.execute(sql`select pg_sleep(30)`));
    // Terminate from another session once the sleep is running (wait for it, do not guess a delay).
    const killer = await openPostgres(db!.url(), { max: 1 });
    stores.push(killer);
    for (;;) {
      const [row] = await killer.db.execute<{ active: boolean }>(
        sql`select state = 'active' and query like '%pg_sleep%' as active from pg_stat_activity where pid = ${pid}`,
      );
      if (row?.active) break;
    }
    await killer.db.execute(sql`select pg_terminate_backend(${pid})`);
    const err = await running;
    expect(isStorageUnavailable(err)).toBe(true);
    const [row] = await store.db.execute<{ ok: number }>(sql`select 1 as ok`);
    expect(row.ok).toBe(1);
  });

  withPostgres('syntax errors and constraint violations are not', async () => {
    const store = await openPostgres(db!.url(), { max: 1 });
    stores.push(store);
    expect(isStorageUnavailable(await failure(() => store.db.execute(sql`selec 1`)))).toBe(false);
    await store.db.execute(sql`create table if not exists uniq (id int primary key)`);
    await store.db.execute(sql`insert into uniq values (1)`);
    expect(isStorageUnavailable(await failure(() => store.db.execute(sql`insert into uniq values (1)`)))).toBe(false);
  });

  test('plain errors and non-errors are not', () => {
    expect(isStorageUnavailable(new Error('boom'))).toBe(false);
    expect(isStorageUnavailable(undefined)).toBe(false);
    expect(isStorageUnavailable({ code: 42 })).toBe(false);
  });
});
