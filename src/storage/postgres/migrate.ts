import { sql } from 'drizzle-orm';
import type { MigrationMeta } from 'drizzle-orm/migrator';
import { BUILTIN_PG_MIGRATIONS } from '../migrations.pg.generated.ts';
import { StorageError } from './errors.ts';
import type { PostgresStore } from './open.ts';

export { BUILTIN_PG_MIGRATIONS };

/**
 * The advisory lock every Relaykit migrator takes (transaction-scoped, so a
 * migrator that dies releases it, and PgBouncer in transaction mode keeps it).
 * One key for every schema and table: migrations are rare, serialising them is free.
 */
export const MIGRATION_LOCK_KEY = 0x524b_4d47; // "RKMG"

/** A migration, with its journal tag (`0002_webhooks_outbox`) when known. */
export type TaggedMigration = MigrationMeta & { tag?: string };

export interface MigrateResult {
  /** Tags of the migrations this call applied, in order (empty when the database was current). */
  applied: string[];
}

interface AppliedRow extends Record<string, unknown> {
  hash: string;
  created_at: string | number;
}

/**
 * Applies the migrations the database lacks, all in one transaction under
 * `pg_advisory_xact_lock`, so nodes that start together never race: the first
 * applies them, the others wait and then find nothing to do.
 *
 * Applied migrations are tracked in `table` (drizzle's layout: id, hash,
 * created_at = the migration's folderMillis) in the store's schema (`?schema=`),
 * or the connection's current schema. A database holding a migration newer than
 * the last of `migrations` was migrated by a newer Relaykit: it is refused with
 * RELAYKIT_ERR_STORAGE_NEWER_SCHEMA and left untouched.
 *
 * `migrations`: the embedded built-in list, or a third-party plugin's own
 * (`readMigrationFiles` of its folder) with its own `table`.
 */
export async function migratePostgres(
  store: PostgresStore,
  migrations: readonly TaggedMigration[] = BUILTIN_PG_MIGRATIONS,
  table = '__drizzle_migrations',
): Promise<MigrateResult> {
  const applied: string[] = [];
  await store.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    if (store.target.schema) await tx.execute(sql`create schema if not exists ${sql.identifier(store.target.schema)}`);
    const tracking = sql.identifier(table);
    await tx.execute(
      sql`create table if not exists ${tracking} (id serial primary key, hash text not null, created_at bigint)`,
    );
    const rows = await tx.execute<AppliedRow>(sql`select hash, created_at from ${tracking} order by created_at`);
    const last = rows.length ? Number(rows[rows.length - 1].created_at) : 0;
    const known = migrations.at(-1)?.folderMillis ?? 0;
    if (last > known) throw newer(store, rows, migrations, last);
    const done = new Set(rows.map((r) => r.hash));
    for (const migration of migrations) {
      // Same rule as drizzle's migrator: everything after the last applied one runs.
      if (migration.folderMillis <= last || done.has(migration.hash)) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into ${tracking} (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
      applied.push(tagOf(migration));
    }
  });
  return { applied };
}

function newer(
  store: PostgresStore,
  rows: readonly AppliedRow[],
  migrations: readonly MigrationMeta[],
  last: number,
): StorageError {
  const known = new Set(migrations.map((m) => m.hash));
  const unknown = rows.filter((r) => !known.has(r.hash)).length;
  const knownUntil = migrations.at(-1)?.folderMillis ?? 0;
  return new StorageError(
    'RELAYKIT_ERR_STORAGE_NEWER_SCHEMA',
    `The database at ${store.target.label} was migrated by a newer Relaykit: it holds ${unknown} migration(s) ` +
      `this version does not know (up to ${new Date(last).toISOString()}; this version knows up to ` +
      `${new Date(knownUntil).toISOString()}). Run the newer Relaykit, or restore a backup taken before the upgrade.`,
  );
}

/** The journal tag when the list carries it (the embedded one does), else the migration's time. */
function tagOf(migration: TaggedMigration): string {
  return migration.tag ?? new Date(migration.folderMillis).toISOString();
}
