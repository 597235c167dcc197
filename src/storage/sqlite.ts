import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { SQLiteSession, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { SqliteDatabase } from '../runtime/types.ts';

/** The migrations drizzle-kit generated for the kernel and every built-in plugin. */
export const BUILTIN_MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

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

/** Applies the migrations in `folder` that have not run yet (tracked in `table`). */
export function migrate(db: SqliteDatabase, folder: string, table = '__drizzle_migrations'): void {
  const migrations = readMigrationFiles({ migrationsFolder: folder, migrationsTable: table });
  const { dialect, session } = db as unknown as MigratableDatabase;
  dialect.migrate(migrations, session, { migrationsFolder: folder, migrationsTable: table });
}
