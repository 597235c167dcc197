import { resolve } from 'node:path';
import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';
import type { SQLiteSession, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { SqliteDatabase } from '../runtime/types.ts';

export { BUILTIN_MIGRATIONS } from './migrations.generated.ts';

/** `sqlite:./data/relaykit.db` → an absolute path; `sqlite::memory:` → `:memory:`. */
export function sqlitePath(url: string, cwd = process.cwd()): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  if (rest === ':memory:') return ':memory:';
  return resolve(cwd, rest);
}

interface MigratableDatabase {
  dialect: SQLiteSyncDialect;
  session: SQLiteSession<'sync', unknown, Record<string, never>, Record<string, never>>;
}

/**
 * Applies the migrations that have not run yet (tracked in `table`): the embedded
 * list of the kernel and built-ins, or a folder of drizzle-kit output (third-party plugins).
 */
export function migrate(
  db: SqliteDatabase,
  migrations: MigrationMeta[] | string,
  table = '__drizzle_migrations',
): void {
  const list = typeof migrations === 'string' ? readMigrationFiles({ migrationsFolder: migrations }) : migrations;
  const { dialect, session } = db as unknown as MigratableDatabase;
  dialect.migrate(list, session, { migrationsFolder: '', migrationsTable: table });
}
