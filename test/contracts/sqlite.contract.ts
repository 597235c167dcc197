import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { MigrationMeta } from 'drizzle-orm/migrator';
import { blob, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { SqliteHandle } from '../../src/runtime/types.ts';
import { BUILTIN_MIGRATIONS, migrate } from '../../src/storage/sqlite.ts';

const things = sqliteTable('contract_things', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  done: integer('done', { mode: 'boolean' }).notNull().default(false),
  meta: text('meta', { mode: 'json' }).$type<{ tags: string[] }>(),
  bytes: blob('bytes', { mode: 'buffer' }),
});
const CREATE = `CREATE TABLE contract_things (
  id integer PRIMARY KEY AUTOINCREMENT NOT NULL, name text NOT NULL, done integer DEFAULT 0 NOT NULL, meta text, bytes blob)`;

/**
 * The contract every runtime's SQLite opener passes: the synchronous Drizzle database
 * plugins get (`.all()/.get()/.run()`, synchronous transactions), the hub's pragmas and
 * migrations. `open` opens (creating) the database at a path.
 */
export function sqliteContract(name: string, open: (path: string) => SqliteHandle) {
  describe(`SqliteHandle contract: ${name}`, () => {
    let dir: string;
    let handle: SqliteHandle;
    const fresh = () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-sqlite-'));
      handle = open(join(dir, 'nested', 'contract.db'));
      handle.exec(CREATE);
      return handle.db;
    };
    afterEach(() => {
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('opens with WAL, synchronous NORMAL and a busy timeout, creating the folder', () => {
      const db = fresh();
      expect(db.all(sql`PRAGMA journal_mode`)).toEqual([{ journal_mode: 'wal' }]);
      expect(db.all(sql`PRAGMA synchronous`)).toEqual([{ synchronous: 1 }]);
      expect(db.all<{ timeout: number }>(sql`PRAGMA busy_timeout`)[0].timeout).toBeGreaterThan(0);
    });

    test('applies the hub’s migrations once', () => {
      const db = fresh();
      migrate(handle, BUILTIN_MIGRATIONS);
      migrate(handle, BUILTIN_MIGRATIONS);
      const tables = db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['hub_meta', 'messages', '__drizzle_migrations']),
      );
      expect(db.all(sql`SELECT * FROM __drizzle_migrations`)).toHaveLength(BUILTIN_MIGRATIONS.length);
    });

    test('a store migrated by Drizzle’s own migrator is up to date: nothing runs twice, a newer migration runs', () => {
      const db = fresh();
      const older = BUILTIN_MIGRATIONS.slice(0, -1);
      const { dialect, session } = db as unknown as {
        dialect: { migrate(m: MigrationMeta[], s: unknown, c: { migrationsFolder: string }): void };
        session: unknown;
      };
      dialect.migrate(older, session, { migrationsFolder: '' });
      migrate(handle, BUILTIN_MIGRATIONS);
      const recorded = db.all<{ hash: string }>(sql`SELECT hash FROM __drizzle_migrations ORDER BY created_at`);
      expect(recorded.map((r) => r.hash)).toEqual(BUILTIN_MIGRATIONS.map((m) => m.hash));
    });

    test('a migration that fails leaves nothing of the pending ones: no table, no record', () => {
      const db = fresh();
      const pending: MigrationMeta[] = [
        { sql: ['CREATE TABLE first_ok (x integer)'], folderMillis: 1, hash: 'a', bps: true },
        {
          sql: ['CREATE TABLE second_ok (x integer);\n-- a comment', 'CREATE TABLE broken ('],
          folderMillis: 2,
          hash: 'b',
          bps: true,
        },
      ];
      expect(() => migrate(handle, pending, '__plugin_migrations')).toThrow();
      const tables = db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table'`);
      expect(tables.map((t) => t.name)).not.toContain('first_ok');
      expect(tables.map((t) => t.name)).not.toContain('second_ok');
      expect(db.all(sql`SELECT * FROM __plugin_migrations`)).toEqual([]);
      // Fixed, it applies; the handle is usable (no transaction left open).
      pending[1] = { ...pending[1], sql: ['CREATE TABLE second_ok (x integer);\n-- a comment', 'SELECT 1'] };
      migrate(handle, pending, '__plugin_migrations');
      expect(db.all(sql`SELECT * FROM __plugin_migrations`)).toHaveLength(2);
    });

    test('inserts, reads and updates through the query builder with typed columns', () => {
      const db = fresh();
      const inserted = db
        .insert(things)
        .values({ name: 'a', meta: { tags: ['x'] }, bytes: Buffer.from([1, 2]) })
        .returning()
        .get();
      expect(inserted).toMatchObject({ id: 1, name: 'a', done: false, meta: { tags: ['x'] } });
      expect([...(inserted.bytes ?? [])]).toEqual([1, 2]);
      const result = db.update(things).set({ done: true }).where(eq(things.id, 1)).run() as { changes: number };
      expect(result.changes).toBe(1);
      db.insert(things).values({ name: 'b' }).run();
      expect(db.select({ id: things.id, done: things.done }).from(things).all()).toEqual([
        { id: 1, done: true },
        { id: 2, done: false },
      ]);
      expect(db.select().from(things).where(eq(things.name, 'zzz')).get()).toBeUndefined();
      expect(db.select({ n: sql<number>`count(*)` }).from(things).get()).toEqual({ n: 2 });
      expect(db.values(sql`SELECT id, name FROM contract_things ORDER BY id`)).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
    });

    test('binds booleans, nulls and large numbers in raw SQL', () => {
      const db = fresh();
      db.run(sql`INSERT INTO contract_things (name, done, meta) VALUES (${'raw'}, ${true}, ${null})`);
      expect(db.all(sql`SELECT name, done, meta, ${2 ** 40} AS big FROM contract_things`)).toEqual([
        { name: 'raw', done: 1, meta: null, big: 2 ** 40 },
      ]);
    });

    test('raw SQL rows have one shape: objects from db.all, arrays from db.get and db.values', () => {
      const db = fresh();
      db.insert(things).values({ name: 'a' }).run();
      const [row] = db.all<{ id: number; name: string }>(sql`SELECT id, name FROM contract_things`);
      expect(row).toEqual({ id: 1, name: 'a' });
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      // Drizzle's bun-sqlite driver answers db.get(sql) with an array row; every runtime does the same.
      expect(db.get(sql`SELECT id, name FROM contract_things`)).toEqual([1, 'a']);
      expect(db.get(sql`SELECT id FROM contract_things WHERE id = ${99}`)).toBeUndefined();
      expect(db.values(sql`SELECT id, name FROM contract_things`)).toEqual([[1, 'a']]);
    });

    test('a transaction commits; one that throws rolls back everything it wrote', () => {
      const db = fresh();
      const value = db.transaction((tx) => {
        tx.insert(things).values({ name: 'kept' }).run();
        return 42;
      });
      expect(value).toBe(42);
      expect(() =>
        db.transaction((tx) => {
          tx.insert(things).values({ name: 'lost' }).run();
          throw new Error('nope');
        }),
      ).toThrow('nope');
      expect(db.select({ name: things.name }).from(things).all()).toEqual([{ name: 'kept' }]);
      // The connection is usable again after a rollback.
      db.transaction((tx) => tx.insert(things).values({ name: 'after' }).run());
      expect(db.select().from(things).all()).toHaveLength(2);
    });

    test('a prepared statement without results runs again and again: transaction control', () => {
      const db = fresh();
      const begin = handle.prepareRun('BEGIN IMMEDIATE');
      const commit = handle.prepareRun('COMMIT');
      const rollback = handle.prepareRun('ROLLBACK');
      for (const name of ['one', 'two']) {
        begin();
        db.insert(things).values({ name }).run();
        commit();
      }
      begin();
      db.insert(things).values({ name: 'undone' }).run();
      rollback();
      expect(db.select({ name: things.name }).from(things).all()).toEqual([{ name: 'one' }, { name: 'two' }]);
      // Not inside a transaction: COMMIT fails as it would through exec.
      expect(() => commit()).toThrow();
    });

    test('a prepared read binds positional parameters and reads rows as arrays, again and again', () => {
      const db = fresh();
      db.insert(things)
        .values([{ name: 'one' }, { name: 'two' }, { name: 'three', meta: { tags: [] } }])
        .run();
      const read = handle.prepareValues(
        'SELECT id, name, meta FROM contract_things WHERE id >= ? AND (meta IS NULL OR name <> ?) ORDER BY id',
      );
      expect(read(1, 'two')).toEqual([
        [1, 'one', null],
        [2, 'two', null],
        [3, 'three', '{"tags":[]}'],
      ]);
      expect(read(2, 'three')).toEqual([[2, 'two', null]]);
      expect(read(4, 'x')).toEqual([]);
      // It sees later writes: nothing is kept but the compiled statement.
      db.insert(things).values({ name: 'four' }).run();
      expect(read(4, 'x')).toEqual([[4, 'four', null]]);
    });

    test('a nested transaction rolls back alone', () => {
      const db = fresh();
      db.transaction((tx) => {
        tx.insert(things).values({ name: 'outer' }).run();
        expect(() =>
          tx.transaction((inner) => {
            inner.insert(things).values({ name: 'inner' }).run();
            throw new Error('inner fails');
          }),
        ).toThrow('inner fails');
        tx.transaction((inner) => inner.insert(things).values({ name: 'inner ok' }).run());
      });
      expect(db.select({ name: things.name }).from(things).all()).toEqual([{ name: 'outer' }, { name: 'inner ok' }]);
    });

    test('what was committed is there after closing and reopening the file', () => {
      const db = fresh();
      db.insert(things).values({ name: 'durable' }).run();
      handle.close();
      handle = open(join(dir, 'nested', 'contract.db'));
      expect(handle.db.select({ name: things.name }).from(things).all()).toEqual([{ name: 'durable' }]);
    });
  });
}
