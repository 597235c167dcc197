import type { RuntimeAdapter } from '../runtime/types.ts';
import { BUILTIN_MIGRATIONS, SqliteStorage, sqlitePath } from './sqlite.ts';
import type { Storage } from './storage.ts';

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Opens the store `url` names and applies the hub's migrations: `sqlite:<path>`
 * through the runtime's SQLite driver, `postgres://...` through postgres-js, loaded
 * only then (a SQLite hub never imports it).
 */
export async function openStorage(url: string, runtime: RuntimeAdapter): Promise<Storage> {
  if (isPostgresUrl(url)) {
    throw new Error('storage.url: PostgreSQL is not available in this build yet (use sqlite:<path>)');
  }
  const path = sqlitePath(url);
  const storage = new SqliteStorage(runtime.openSqlite(path), path === ':memory:' ? null : path);
  try {
    await storage.migrate(BUILTIN_MIGRATIONS);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}
