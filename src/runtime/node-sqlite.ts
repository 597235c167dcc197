import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { BetterSQLiteSession } from 'drizzle-orm/better-sqlite3/session';
import { BaseSQLiteDatabase, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { sqliteHandle } from './sqlite-checkpointer.ts';
import { SQLITE_PRAGMAS } from './sqlite-pragmas.ts';
import type { SqliteDatabase, SqliteHandle } from './types.ts';

/**
 * SQLite through `node:sqlite` (Deno 2, also Node and Bun) as the hub's synchronous
 * Drizzle database. drizzle-orm 0.45 has no node:sqlite driver, but its better-sqlite3
 * *session* only needs a client shaped like better-sqlite3's (prepare, raw, transaction)
 * and does not load the native package, so a small client shim gives plugins the same
 * `.all()/.get()/.run()` and synchronous `db.transaction(fn)` as bun:sqlite.
 */
export function openNodeSqlite(path: string): SqliteHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const client = new DatabaseSync(path);
  for (const pragma of SQLITE_PRAGMAS) client.exec(pragma);
  const shim = new BetterSqliteShim(client);
  const dialect = new SQLiteSyncDialect();
  const session = new BetterSQLiteSession(
    shim as unknown as ConstructorParameters<typeof BetterSQLiteSession>[0],
    dialect,
    undefined,
    {},
  );
  const db = new BaseSQLiteDatabase('sync', dialect, session, undefined) as unknown as SqliteDatabase;
  return sqliteHandle(client, path, db, 'node:sqlite', () => shim.clear());
}

/** Statements kept prepared: Drizzle prepares every query it runs, and preparing costs more than running. */
const STATEMENT_CACHE_SIZE = 256;

type TransactionMode = 'deferred' | 'immediate' | 'exclusive';

/** The part of better-sqlite3's Database that Drizzle's BetterSQLiteSession calls. */
class BetterSqliteShim {
  private readonly statements = new Map<string, Statement>();
  private depth = 0;

  constructor(private readonly client: DatabaseSync) {}

  prepare(sql: string): Statement {
    const cached = this.statements.get(sql);
    if (cached) return cached;
    const statement = new Statement(this.client.prepare(sql));
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
    }
    this.statements.set(sql, statement);
    return statement;
  }

  /** better-sqlite3's `db.transaction(fn)`: nested calls become savepoints; `fn` must be synchronous. */
  transaction<A, R>(fn: (arg: A) => R): Record<TransactionMode, (arg: A) => R> {
    const run = (mode: TransactionMode) => (arg: A) => {
      const nested = this.depth > 0;
      const savepoint = `relaykit_sp${this.depth}`;
      this.client.exec(nested ? `SAVEPOINT ${savepoint}` : `BEGIN ${mode.toUpperCase()}`);
      this.depth++;
      let result: R;
      try {
        result = fn(arg);
        if (result instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
      } catch (err) {
        this.depth--;
        this.client.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
        throw err;
      }
      this.depth--;
      try {
        this.client.exec(nested ? `RELEASE ${savepoint}` : 'COMMIT');
      } catch (err) {
        if (!nested && this.client.isTransaction) this.client.exec('ROLLBACK');
        throw err;
      }
      return result;
    };
    return { deferred: run('deferred'), immediate: run('immediate'), exclusive: run('exclusive') };
  }

  clear(): void {
    this.statements.clear();
  }
}

/** better-sqlite3's Statement over a node:sqlite StatementSync; `raw()` returns the array-row view. */
class Statement {
  private readonly arrays: RawStatement;

  constructor(private readonly stmt: StatementSync) {
    this.arrays = new RawStatement(stmt);
  }

  run(...params: unknown[]) {
    return this.stmt.run(...bind(params));
  }

  /** Raw SQL rows as plain objects (node:sqlite's have a null prototype; bun:sqlite's don't). */
  all(...params: unknown[]): unknown[] {
    this.stmt.setReturnArrays(false);
    return this.stmt.all(...bind(params)).map((row) => ({ ...row }));
  }

  /**
   * Drizzle calls this only for raw SQL (`db.get(sql\`...\`)`). Its bun-sqlite driver answers
   * that with an array row, so this does too: a plugin sees the same row on both runtimes.
   */
  get(...params: unknown[]): unknown {
    return this.arrays.get(...params);
  }

  raw(): RawStatement {
    return this.arrays;
  }
}

class RawStatement {
  constructor(private readonly stmt: StatementSync) {}

  all(...params: unknown[]): unknown[] {
    this.stmt.setReturnArrays(true);
    return this.stmt.all(...bind(params));
  }

  get(...params: unknown[]): unknown {
    this.stmt.setReturnArrays(true);
    return this.stmt.get(...bind(params));
  }
}

/** node:sqlite binds fewer JavaScript types than bun:sqlite: booleans as 0/1, undefined as NULL. */
function bind(params: unknown[]): SQLInputValue[] {
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (typeof value === 'boolean') params[i] = value ? 1 : 0;
    else if (value === undefined) params[i] = null;
  }
  return params as SQLInputValue[];
}
