import { resolve } from 'node:path';
import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';
import type { SQLiteSession, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { SqliteDatabase, SqliteHandle } from '../runtime/types.ts';
import type { Database, DialectTables, Storage, Tx } from './storage.ts';

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

/**
 * The SQLite store, over the runtime's synchronous driver (bun:sqlite, node:sqlite).
 *
 * Queries run synchronously when awaited, so an awaited builder costs a microtask.
 * Transactions are explicit BEGIN IMMEDIATE ... COMMIT around an async function and
 * run one at a time (one connection): a second `transaction` waits for the first.
 */
export class SqliteStorage implements Storage {
  readonly dialect = 'sqlite' as const;
  readonly db: Database;
  /** The synchronous driver, for the SQLite-only fast paths (prepared statements of the message store). */
  readonly sync: SqliteDatabase;
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly handle: SqliteHandle,
    readonly file: string | null,
  ) {
    this.sync = handle.db;
    // Same builder, same tables: awaiting a synchronous query yields its result.
    this.db = handle.db as unknown as Database;
  }

  get location(): string {
    return this.file ?? ':memory:';
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    try {
      this.handle.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(this.db as Tx);
      } catch (err) {
        this.handle.exec('ROLLBACK');
        throw err;
      }
      this.handle.exec('COMMIT');
      return result;
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }

  tables<T>(byDialect: DialectTables<T>): T {
    return byDialect.sqlite;
  }

  async migrate(migrations: MigrationMeta[] | string, table?: string): Promise<void> {
    migrate(this.handle.db, migrations, table);
  }

  async ping(): Promise<void> {
    this.handle.exec('SELECT 1');
  }

  async close(): Promise<void> {
    this.handle.close();
  }
}
