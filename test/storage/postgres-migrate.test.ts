import { afterEach, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { StorageError } from '../../src/storage/postgres/errors.ts';
import { BUILTIN_PG_MIGRATIONS, migratePostgres } from '../../src/storage/postgres/migrate.ts';
import { openPostgres, type PostgresStore } from '../../src/storage/postgres/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const db = await createTestDatabase(import.meta.path);
/** Empty: no schema chosen, the server's default (public) holds the tables. */
const empty = db && (await createTestDatabase(import.meta.path, 'empty'));
const withPostgres = db ? test : test.skip;

const opened: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function open(schema: string): Promise<PostgresStore> {
  const store = await openPostgres(db!.url({ schema }), { max: 2 });
  opened.push(store);
  return store;
}

async function tables(store: PostgresStore, schema: string): Promise<string[]> {
  const rows = await store.db.execute<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`,
  );
  return rows.map((r) => r.name);
}

const KERNEL_AND_BUILTINS = [
  '__drizzle_migrations',
  'api_keys',
  'hub_meta',
  'message_id_counter',
  'message_idempotency',
  'messages',
  'relaykit_leases',
  'relaykit_presence',
  'relaykit_presence_channels',
  'relaykit_presence_nodes',
  'ttl_archive',
  'webhook_attempts',
  'webhook_deliveries',
  'webhook_endpoints',
  'webhook_events',
  'webhook_meta',
];

describe('PostgreSQL migrations', () => {
  withPostgres('apply every built-in migration once, in the URL schema, and nothing the second time', async () => {
    const store = await open('applies');
    const first = await migratePostgres(store);
    expect(first.applied).toEqual(BUILTIN_PG_MIGRATIONS.map((m) => m.tag));
    expect(await tables(store, 'applies')).toEqual(KERNEL_AND_BUILTINS);
    expect(await tables(store, 'public')).toEqual([]);
    const [counter] = await store.db.execute<{ last_id: string }>(sql`select last_id from message_id_counter`);
    expect(Number(counter.last_id)).toBe(0);
    expect((await migratePostgres(store)).applied).toEqual([]);
    const [count] = await store.db.execute<{ n: number }>(sql`select count(*)::int as n from __drizzle_migrations`);
    expect(count.n).toBe(BUILTIN_PG_MIGRATIONS.length);
  });

  withPostgres(
    'three migrators started together on an empty database all succeed, applying each migration once',
    async () => {
      const stores = await Promise.all(
        [1, 2, 3].map(async () => {
          const store = await openPostgres(empty!.url(), { max: 1 });
          opened.push(store);
          return store;
        }),
      );
      const results = await Promise.all(stores.map((s) => migratePostgres(s)));
      const applied = results.map((r) => r.applied.length).sort();
      // One did the work under the lock; the others waited, then found nothing to do.
      expect(applied).toEqual([0, 0, BUILTIN_PG_MIGRATIONS.length]);
      expect(await tables(stores[0], 'public')).toEqual(KERNEL_AND_BUILTINS);
      const [count] = await stores[0].db.execute<{ n: number }>(
        sql`select count(*)::int as n from __drizzle_migrations`,
      );
      expect(count.n).toBe(BUILTIN_PG_MIGRATIONS.length);
    },
  );

  withPostgres('a database migrated by a newer Relaykit is refused and left untouched', async () => {
    const store = await open('newer');
    await migratePostgres(store);
    const later = BUILTIN_PG_MIGRATIONS.at(-1)!.folderMillis + 86_400_000;
    await store.db.execute(
      sql`insert into __drizzle_migrations (hash, created_at) values ('from-the-future', ${later})`,
    );
    await store.db.execute(sql`create table from_the_future (id int)`);

    let refused: unknown;
    try {
      await migratePostgres(store);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(StorageError);
    const err = refused as StorageError;
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_NEWER_SCHEMA');
    expect(err.message).toContain(store.target.label);
    expect(err.message).toContain('newer Relaykit');
    expect(err.message).toContain(new Date(later).toISOString());
    const [count] = await store.db.execute<{ n: number }>(sql`select count(*)::int as n from __drizzle_migrations`);
    expect(count.n).toBe(BUILTIN_PG_MIGRATIONS.length + 1);
  });

  withPostgres('an older binary is refused even on a database it half knows (a partial list)', async () => {
    const store = await open('partial');
    await migratePostgres(store);
    const older = BUILTIN_PG_MIGRATIONS.slice(0, 2);
    await expect(migratePostgres(store, older)).rejects.toThrow(/migrated by a newer Relaykit/);
  });

  withPostgres('two schemas of one database keep separate migration histories', async () => {
    const a = await open('tenant_one');
    const b = await open('tenant_two');
    expect((await migratePostgres(a)).applied.length).toBe(BUILTIN_PG_MIGRATIONS.length);
    expect((await migratePostgres(b)).applied.length).toBe(BUILTIN_PG_MIGRATIONS.length);
    expect(await tables(a, 'tenant_two')).toEqual(KERNEL_AND_BUILTINS);
  });

  withPostgres('a failing migration rolls back entirely and releases the lock', async () => {
    const store = await open('broken');
    const broken = [
      ...BUILTIN_PG_MIGRATIONS,
      {
        tag: '9999_broken',
        sql: ['create table half_done (id int)', 'select * from no_such_table'],
        bps: true,
        folderMillis: Date.now() + 1000,
        hash: 'broken',
      },
    ];
    await expect(migratePostgres(store, broken)).rejects.toThrow(/no_such_table/);
    expect(await tables(store, 'broken')).toEqual([]);
    // The lock was released: the real list now applies.
    expect((await migratePostgres(store)).applied.length).toBe(BUILTIN_PG_MIGRATIONS.length);
  });
});
