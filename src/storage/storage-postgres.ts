import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';
import { hubMeta, messageIdempotency, messages } from '../messages/schema.pg.ts';
import type { NewMessageRow } from '../messages/schema.ts';
import { kernelTables, SqlMessageStore } from '../messages/store-sql.ts';
import {
  BUILTIN_PG_MIGRATIONS,
  insertMessages,
  lastMessageId,
  migratePostgres,
  openPostgres,
  type PostgresStore,
} from './postgres/index.ts';
import { type Database, type DialectTables, DialectUnsupported, type Storage, type Tx } from './storage.ts';

/**
 * The PostgreSQL store over postgres-js (a pool): transactions are real, concurrent
 * and isolated, so a query joins one only through the `Tx` it is given.
 */
export class PostgresStorage implements Storage {
  readonly dialect = 'postgres' as const;
  readonly file = null;
  readonly db: Database;

  constructor(readonly store: PostgresStore) {
    // Typed as the SQLite builder (see Database): only calls both dialects share are made on it.
    this.db = store.db as unknown as Database;
  }

  get location(): string {
    return this.store.target.label;
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.store.db.transaction((tx) => fn(tx as unknown as Tx));
  }

  tables<T>(byDialect: DialectTables<T>): T {
    if (!byDialect.postgres) throw new DialectUnsupported('a set of tables', 'postgres');
    return byDialect.postgres as T;
  }

  async migrate(migrations: MigrationMeta[] | string, table?: string): Promise<void> {
    const list = typeof migrations === 'string' ? readMigrationFiles({ migrationsFolder: migrations }) : migrations;
    await migratePostgres(this.store, list, table);
  }

  async ping(): Promise<void> {
    await this.store.client`select 1`;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** The kernel's tables on PostgreSQL (same names, columns and JS types as the SQLite ones). */
const pgKernelTables = { ...kernelTables, postgres: { messages, hubMeta, idempotency: messageIdempotency } };

/**
 * The message store on PostgreSQL: the shared queries, with ids allocated dense and
 * in commit order by the counter row (src/storage/postgres/ids.ts), and the last id
 * read from that counter (retention may have deleted the newest rows).
 */
export class PostgresMessageStore extends SqlMessageStore {
  constructor(storage: PostgresStorage) {
    super(storage, storage.tables(pgKernelTables));
  }

  override insert(tx: Tx, rows: readonly NewMessageRow[]): Promise<number[]> {
    return insertMessages(
      tx as unknown as Parameters<typeof insertMessages>[0],
      rows.map((r) => ({
        from: r.from ?? null,
        to: r.to ?? null,
        channel: r.channel ?? null,
        type: r.type,
        payload: r.payload,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt ?? null,
      })),
    );
  }

  override maxId(): Promise<number> {
    return lastMessageId((this.storage as PostgresStorage).store.db);
  }
}

/** Opens and migrates a PostgreSQL store (the hub's migrations first, under the advisory lock). */
export async function openPostgresStorage(
  url: string,
): Promise<{ storage: PostgresStorage; messages: PostgresMessageStore }> {
  const storage = new PostgresStorage(await openPostgres(url));
  try {
    await storage.migrate(BUILTIN_PG_MIGRATIONS);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return { storage, messages: new PostgresMessageStore(storage) };
}
