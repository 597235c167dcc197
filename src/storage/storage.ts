import type { Column, Table } from 'drizzle-orm';
import type { MigrationMeta } from 'drizzle-orm/migrator';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';

/** The stores Relaykit runs on. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * The query builder a store hands out. It is typed on Drizzle's SQLite builder in its
 * asynchronous form, whatever the store: code written against it compiles once and
 * runs on both dialects as long as it keeps to what they share.
 *
 * The rules (docs/storage.md, docs/plugins.md):
 * - every query is awaited (`await db.select()...`); never `.get()`, `.all()` or `.run()`,
 *   which only SQLite has (test/storage/portable.test.ts enforces it
 *   for the hub's own code);
 * - rows come back through `.returning()` (both dialects have it), conflicts through
 *   `onConflictDoNothing` / `onConflictDoUpdate`;
 * - tables come from `storage.tables(...)`, which picks the dialect's table objects.
 */
export type Database = BaseSQLiteDatabase<'async', unknown, Record<string, never>>;

declare const inTransaction: unique symbol;

/**
 * A transaction: the same builder, bound to one open transaction. A method that must
 * write atomically with its caller takes a `Tx` as an argument; the database handle
 * is not a `Tx`, so nothing joins a transaction by accident (and nothing outside one
 * can be passed where one is required).
 */
export type Tx = Database & { readonly [inTransaction]: true };

/**
 * A condition on one row that a statement checks before it writes: the row of `table`
 * whose `key.column` equals `key.value` must exist and hold `expected` in `column` (a
 * number). A plugin hands one to the message core for the row that versions a per-node
 * cache (a counter its writers bump in the transaction that changes what it counts);
 * the store folds it into the statement that commits a batch, so "the cache was
 * current" costs no round trip of its own.
 *
 * Contract for stores: the check and the write are one atomic step. On PostgreSQL the
 * row is read with `FOR SHARE` in the committing statement: a writer of the row that
 * has not committed yet is waited for (and its new value read), and one that comes
 * later waits until the batch has committed. So against the row's writers, a batch
 * whose guard held is ordered before them, never after. The guard row is locked before
 * the message id counter: a transaction that writes a guard row must not have inserted
 * messages first, or it and a guarded batch would wait on each other (a deadlock).
 */
export interface RowGuard {
  /** The table holding the row, as `storage.tables` gave it. */
  table: Table;
  /** The row: its key column (unique) and the key. */
  key: { column: Column; value: string | number };
  /** The numeric column compared. */
  column: Column;
  /** The value it must hold. */
  expected: number;
}

/** Tables of one schema for each dialect: the SQLite ones give the types, the Postgres ones mirror them. */
export interface DialectTables<T> {
  sqlite: T;
  /** The same tables declared with `pg-core` (same names, columns and JS types). */
  postgres?: unknown;
}

/**
 * The same, with the PostgreSQL tables behind a function that imports them
 * (`() => import('./schema.pg.ts').then(...)`), so a SQLite hub never loads pg-core.
 */
export interface LazyDialectTables<T> {
  sqlite: T;
  postgres: () => Promise<unknown>;
}

/**
 * A store: where the hub keeps its event log and where plugins keep their tables.
 *
 * Contract (test/contracts/storage.contract.ts runs it against every store):
 * - `transaction` commits when `fn` resolves and rolls back when it rejects; the
 *   promise settles only after the commit (a 201 is never sent for an uncommitted
 *   message). Transactions do not nest: pass the `Tx` down instead.
 * - Queries issued through `db` outside a transaction run on their own (autocommit):
 *   they never see a transaction's uncommitted rows and never join it (on SQLite,
 *   which has one connection, they wait while another task's transaction is open:
 *   hold transactions briefly).
 * - `ping` rejects when the database cannot answer (readiness, recovery).
 */
export interface Storage {
  readonly dialect: Dialect;
  /** Where the data lives, for logs and errors: a file path, or host/database (never a password). */
  readonly location: string;
  /** The database file on disk (SQLite), or null (in memory, or a server). */
  readonly file: string | null;
  readonly db: Database;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Picks this dialect's table objects (typed as the SQLite ones); with lazy PostgreSQL tables, a promise of them. */
  tables<T>(byDialect: LazyDialectTables<T>): Promise<T>;
  tables<T>(byDialect: DialectTables<T>): T;
  /**
   * Applies the migrations not applied yet, tracked in `table`: a list embedded in the
   * program (the kernel's and built-ins') or a drizzle-kit folder of this dialect.
   */
  migrate(migrations: MigrationMeta[] | string, table?: string): Promise<void>;
  /** A trivial round trip to the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A third-party plugin's drizzle-kit migration folders: one path (SQLite only), or one per dialect. */
export type MigrationFolders = string | { sqlite?: string; postgres?: string };

/** Thrown when a plugin's tables or migrations have no form for the hub's store. */
export class DialectUnsupported extends Error {
  constructor(what: string, dialect: Dialect) {
    super(`${what} has no ${dialect} form: this plugin cannot run on a ${dialect} store`);
    this.name = 'DialectUnsupported';
  }
}
