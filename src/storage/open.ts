import type { MessageStore } from '../messages/store.ts';
import { SqlMessageStore } from '../messages/store-sql.ts';
import type { RuntimeAdapter } from '../runtime/types.ts';
import { BUILTIN_MIGRATIONS, type SqliteFaultOptions, SqliteStorage, sqlitePath } from './sqlite.ts';
import type { Storage } from './storage.ts';

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** An open, migrated store and the message core's tables on it. */
export interface OpenedStore {
  storage: Storage;
  messages: MessageStore;
}

/**
 * Opens the store `url` names and applies the hub's migrations: `sqlite:<path>`
 * through the runtime's SQLite driver, `postgres://...` through postgres-js, loaded
 * only then (a SQLite hub never imports it).
 */
export async function openStorage(
  url: string,
  runtime: RuntimeAdapter,
  sqliteFaults: Partial<SqliteFaultOptions> = {},
): Promise<OpenedStore> {
  if (isPostgresUrl(url)) {
    const { openPostgresStorage } = await import('./storage-postgres.ts');
    return openPostgresStorage(url);
  }
  const path = sqlitePath(url);
  const storage = new SqliteStorage(runtime.openSqlite(path), path === ':memory:' ? null : path, sqliteFaults);
  try {
    await storage.migrate(BUILTIN_MIGRATIONS);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return { storage, messages: new SqlMessageStore(storage) };
}
