import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';
import type { SQLiteSession, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { SqliteDatabase, SqliteHandle } from '../runtime/types.ts';
import { isDatabaseFault, storageFault } from './faults.ts';
import { StorageError } from './postgres/errors.ts';
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

/** How the SQLite store watches over its file. */
export interface SqliteFaultOptions {
  /** How long a transaction waits for a lock another process holds, in short waits off the event loop. */
  lockTimeoutMs: number;
  /** How often `ping` runs `PRAGMA quick_check` (0: never). */
  integrityCheckIntervalMs: number;
  /** The hub's clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const DEFAULT_FAULT_OPTIONS: SqliteFaultOptions = {
  lockTimeoutMs: 5000,
  integrityCheckIntervalMs: 0,
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Pause between two attempts to take the write lock (the driver's own busy wait is 20 ms: see sqlite-pragmas.ts). */
const LOCK_RETRY_MS = 20;

/** The device and inode of a file, to notice it was deleted or replaced under the open connection. */
function identityOf(file: string): string | null {
  try {
    const stat = statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/**
 * The SQLite store, over the runtime's synchronous driver (bun:sqlite, node:sqlite).
 *
 * Queries run synchronously when awaited, so an awaited builder costs a microtask.
 * Transactions are explicit BEGIN IMMEDIATE ... COMMIT around an async function and
 * run one at a time (one connection): a second `transaction` waits for the first.
 *
 * Faults are visible, never silent: a write lock held by another process is waited
 * for in short steps off the event loop (then `RELAYKIT_ERR_STORAGE_BUSY`); a database
 * file deleted or replaced under the connection refuses transactions (writes would be
 * acknowledged and lost at the next start) and fails `ping`, as do a failed write (until
 * one succeeds again) and a failed periodic `quick_check`.
 */
export class SqliteStorage implements Storage {
  readonly dialect = 'sqlite' as const;
  readonly db: Database;
  /** The synchronous driver, for the SQLite-only fast paths (prepared statements of the message store). */
  readonly sync: SqliteDatabase;
  private busy = false;
  private readonly waiting: Array<() => void> = [];
  private readonly opened: string | null;
  private readonly faults: SqliteFaultOptions;
  /** Why the last write failed, until one succeeds again. */
  private writeFault: string | null = null;
  private integrityFault: string | null = null;
  private lastIntegrityCheck: number;

  constructor(
    private readonly handle: SqliteHandle,
    readonly file: string | null,
    faults: Partial<SqliteFaultOptions> = {},
  ) {
    this.sync = handle.db;
    // Same builder, same tables: awaiting a synchronous query yields its result.
    this.db = handle.db as unknown as Database;
    this.faults = { ...DEFAULT_FAULT_OPTIONS, ...faults };
    this.opened = file ? identityOf(file) : null;
    this.lastIntegrityCheck = this.faults.now();
  }

  get location(): string {
    return this.file ?? ':memory:';
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    try {
      this.checkFile();
      await this.begin();
      let result: T;
      try {
        result = await fn(this.db as Tx);
        this.handle.exec('COMMIT');
      } catch (err) {
        this.rollback();
        this.noteWrite(err);
        throw err;
      }
      this.writeFault = null;
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

  /**
   * Rejects when the database cannot be trusted with writes: its file was deleted or
   * replaced, the last write failed, or the last integrity check did not pass.
   */
  async ping(): Promise<void> {
    this.handle.exec('SELECT 1');
    this.checkFile();
    if (this.writeFault) throw new Error(`the last write failed: ${this.writeFault}`);
    const { integrityCheckIntervalMs, now } = this.faults;
    if (integrityCheckIntervalMs > 0 && now() - this.lastIntegrityCheck >= integrityCheckIntervalMs) {
      this.lastIntegrityCheck = now();
      this.integrityFault = this.quickCheck();
    }
    if (this.integrityFault) throw new Error(`the integrity check failed: ${this.integrityFault}`);
  }

  /** `PRAGMA quick_check`: null when it passes, else what it found. */
  private quickCheck(): string | null {
    try {
      const rows = this.sync.all<Record<string, string>>(sql`PRAGMA quick_check`);
      const findings = rows.map((row) => String(Object.values(row)[0])).filter((v) => v !== 'ok');
      // One finding per damaged page: the first few say enough.
      return findings.length ? findings.join('\n').split('\n').slice(0, 4).join('; ') : null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Throws 503 (storage unavailable) when the file the connection writes to is no longer at its path. */
  private checkFile(): void {
    if (!this.file || this.opened === null) return;
    const now = identityOf(this.file);
    if (now === this.opened) return;
    throw new StorageError(
      'RELAYKIT_ERR_STORAGE_UNREACHABLE',
      `the database file ${this.file} was ${now === null ? 'deleted' : 'replaced'} while the hub had it open: nothing more is written to it; restart the hub`,
    );
  }

  /** BEGIN IMMEDIATE, waiting for another process's lock in short steps that leave the event loop free. */
  private async begin(): Promise<void> {
    const deadline = this.faults.now() + this.faults.lockTimeoutMs;
    for (;;) {
      try {
        this.handle.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (storageFault(err) !== 'busy' || this.faults.now() >= deadline) {
          this.noteWrite(err);
          throw err;
        }
      }
      await this.faults.sleep(LOCK_RETRY_MS);
    }
  }

  private rollback(): void {
    try {
      this.handle.exec('ROLLBACK');
    } catch {
      // SQLite may have rolled back by itself (a full disk, an I/O error): nothing is open.
    }
  }

  private noteWrite(err: unknown): void {
    if (isDatabaseFault(err)) this.writeFault = (err as Error).message ?? String(err);
  }

  async close(): Promise<void> {
    this.handle.close();
  }
}
