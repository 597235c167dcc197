import { AsyncLocalStorage } from 'node:async_hooks';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import type { MigrationMeta } from 'drizzle-orm/migrator';
import type { SqliteDatabase, SqliteHandle, SqliteValue } from '../runtime/types.ts';
import { isDatabaseFault, storageFault } from './faults.ts';
import { StorageError } from './postgres/errors.ts';
import type { Database, DialectTables, LazyDialectTables, Storage, Tx } from './storage.ts';

export { BUILTIN_MIGRATIONS } from './migrations.generated.ts';

/** `sqlite:./data/relaykit.db` → an absolute path; `sqlite::memory:` → `:memory:`. */
export function sqlitePath(url: string, cwd = process.cwd()): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  if (rest === ':memory:') return ':memory:';
  return resolve(cwd, rest);
}

/**
 * Applies the migrations that have not run yet (tracked in `table`): the embedded
 * list of the kernel and built-ins, or a folder of drizzle-kit output (third-party plugins).
 *
 * Drizzle's own SQLite migrator, in one `exec`: the same table, the same bookkeeping
 * (a migration runs when it is newer than the last one recorded), all pending
 * migrations in one transaction. Drizzle's runs each statement through its query
 * builder, preparing one at a time, which on a new database was most of the cost of
 * migrating it.
 */
export function migrate(
  handle: Pick<SqliteHandle, 'db' | 'exec'>,
  list: MigrationMeta[],
  table = '__drizzle_migrations',
): void {
  const { db } = handle;
  const name = `"${table.replaceAll('"', '""')}"`;
  handle.exec(`CREATE TABLE IF NOT EXISTS ${name} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const [last] = db.all<{ created_at: number | string }>(
    sql.raw(`SELECT created_at FROM ${name} ORDER BY created_at DESC LIMIT 1`),
  );
  const pending = list.filter((m) => !last || Number(last.created_at) < m.folderMillis);
  if (!pending.length) return;
  const statements = pending.flatMap((m) => [
    ...m.sql,
    `INSERT INTO ${name} ("hash", "created_at") VALUES ('${m.hash.replaceAll("'", "''")}', ${Number(m.folderMillis)})`,
  ]);
  handle.exec('BEGIN');
  try {
    // A newline before each `;`: a statement may end in a line comment.
    handle.exec(statements.join('\n;\n'));
    handle.exec('COMMIT');
  } catch (err) {
    handle.exec('ROLLBACK');
    throw err;
  }
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
 * One connection also means a query sent while a transaction is open would run
 * inside it. So while one is open, a query through `db` from outside it (any task
 * not running inside the transaction's function) waits its turn behind it, in the
 * same queue as transactions; the transaction's own `tx`, and `db` used from inside
 * it, run at once. With no transaction open, `db` runs queries directly: one flag
 * is checked, nothing else.
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
  /**
   * The synchronous driver, for the SQLite-only fast paths (prepared statements of the
   * message store). It is not gated: a read through it outside a transaction goes
   * through `outside`.
   */
  readonly sync: SqliteDatabase;
  private busy = false;
  private readonly waiting: Array<() => void> = [];
  /** Set while a transaction's function (and everything it awaits) runs. */
  private readonly inside = new AsyncLocalStorage<true>();
  private readonly opened: string | null;
  private readonly faults: SqliteFaultOptions;
  /** Why the last write failed, until one succeeds again. */
  private writeFault: string | null = null;
  private integrityFault: string | null = null;
  private lastIntegrityCheck: number;
  /** Transaction control, prepared once (every group commit runs both). */
  private readonly beginImmediate: () => void;
  private readonly commit: () => void;

  constructor(
    private readonly handle: SqliteHandle,
    readonly file: string | null,
    faults: Partial<SqliteFaultOptions> = {},
  ) {
    this.sync = handle.db;
    // Same builder, same tables (awaiting a synchronous query yields its result), over a
    // session that makes outside queries wait for an open transaction.
    this.db = gatedDatabase(handle.db, this) as unknown as Database;
    this.faults = { ...DEFAULT_FAULT_OPTIONS, ...faults };
    this.opened = file ? identityOf(file) : null;
    this.lastIntegrityCheck = this.faults.now();
    this.beginImmediate = handle.prepareRun('BEGIN IMMEDIATE');
    this.commit = handle.prepareRun('COMMIT');
    handle.setCheckpointGate?.((run) => this.whileIdle(run));
  }

  /** Prepares `sql` once on the connection, reading rows as arrays (`SqliteHandle.prepareValues`); ungated like `sync`. */
  prepareValues(sql: string): (...params: SqliteValue[]) => unknown[][] {
    return this.handle.prepareValues(sql);
  }

  /**
   * Runs `fn` while the hub's connection does nothing: transactions and outside
   * queries issued meanwhile wait for it, off the event loop, in the same queue.
   */
  private async whileIdle(fn: () => Promise<void>): Promise<void> {
    if (this.busy) await this.turn();
    this.busy = true;
    try {
      await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Runs `query` now when no transaction is open or the caller is inside it, or else
   * once the open transaction (and any queued before this call) has ended.
   */
  outside<T>(query: () => T): T | Promise<T> {
    if (!this.busy || this.inside.getStore()) return query();
    return this.turn().then(() => {
      try {
        return query();
      } finally {
        this.release();
      }
    });
  }

  /** Whether a query issued now must wait (a transaction is open and the caller is not in it). */
  mustWait(): boolean {
    return this.busy && !this.inside.getStore();
  }

  /** Waits until the connection is handed to the caller (FIFO among transactions and outside queries). */
  private turn(): Promise<void> {
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }

  get location(): string {
    return this.file ?? ':memory:';
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.busy) await this.turn();
    this.busy = true;
    try {
      this.checkFile();
      await this.begin();
      let result: T;
      try {
        result = await this.inside.run(true, () => fn(this.handle.db as unknown as Tx));
        this.commit();
      } catch (err) {
        this.rollback();
        this.noteWrite(err);
        throw err;
      }
      this.writeFault = null;
      return result;
    } finally {
      this.release();
    }
  }

  tables<T>(byDialect: LazyDialectTables<T>): Promise<T>;
  tables<T>(byDialect: DialectTables<T>): T;
  tables<T>(byDialect: DialectTables<T>): T | Promise<T> {
    return typeof byDialect.postgres === 'function' ? Promise.resolve(byDialect.sqlite) : byDialect.sqlite;
  }

  async migrate(migrations: MigrationMeta[] | string, table?: string): Promise<void> {
    migrate(this.handle, typeof migrations === 'string' ? await readMigrationFolder(migrations) : migrations, table);
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
        this.beginImmediate();
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
    await this.handle.close();
  }
}

interface Session {
  prepareQuery(...args: unknown[]): PreparedQuery;
  prepareOneTimeQuery(...args: unknown[]): PreparedQuery;
}
type PreparedQuery = Record<'run' | 'all' | 'get' | 'values', (placeholders?: unknown) => unknown>;

/**
 * `db` over a session whose queries wait for an open transaction when issued from
 * outside it. A one-time query (an awaited builder) is checked when it runs, which is
 * when it is prepared; a query prepared once (`.prepare()`) is checked on every run.
 */
function gatedDatabase(db: SqliteDatabase, storage: SqliteStorage): SqliteDatabase {
  const raw = (db as unknown as { session: Session }).session;
  const session = Object.create(raw) as Session;
  session.prepareQuery = (...args: unknown[]) => gatedQuery(raw.prepareQuery(...args), storage);
  session.prepareOneTimeQuery = (...args: unknown[]) => {
    const prepared = raw.prepareOneTimeQuery(...args);
    return storage.mustWait() ? gatedQuery(prepared, storage) : prepared;
  };
  const gated = Object.create(db) as SqliteDatabase;
  Object.defineProperty(gated, 'session', { value: session });
  return gated;
}

/** A prepared query whose runs go through `storage.outside` (its own methods call the ungated ones). */
function gatedQuery(prepared: PreparedQuery, storage: SqliteStorage): PreparedQuery {
  const gated = Object.create(prepared) as PreparedQuery;
  for (const method of ['run', 'all', 'get', 'values'] as const) {
    gated[method] = (placeholders) => storage.outside(() => prepared[method](placeholders));
  }
  return gated;
}

/**
 * A folder of drizzle-kit output (a third-party plugin's migrations), read with Drizzle's
 * reader, which is imported here and only here: it loads `node:crypto` (it hashes each
 * file), which nothing else needs on the way to a start's first request.
 */
async function readMigrationFolder(folder: string): Promise<MigrationMeta[]> {
  const { readMigrationFiles } = await import('drizzle-orm/migrator');
  return readMigrationFiles({ migrationsFolder: folder });
}
