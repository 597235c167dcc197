import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';
import { hubMeta, messageIdempotency, messages } from '../messages/schema.pg.ts';
import type { NewMessageRow } from '../messages/schema.ts';
import type { CommitOptions } from '../messages/store.ts';
import { insertValues, kernelTables, liveById, SqlMessageStore, toMessage } from '../messages/store-sql.ts';
import type { Message } from '../messages/types.ts';
import {
  BUILTIN_PG_MIGRATIONS,
  insertGuarded,
  insertMessages,
  lastMessageId,
  migratePostgres,
  openPostgres,
  type PostgresStore,
} from './postgres/index.ts';
import {
  type Database,
  type DialectTables,
  DialectUnsupported,
  type LazyDialectTables,
  type Storage,
  type Tx,
} from './storage.ts';

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

  tables<T>(byDialect: LazyDialectTables<T>): Promise<T>;
  tables<T>(byDialect: DialectTables<T>): T;
  tables<T>(byDialect: DialectTables<T>): T | Promise<T> {
    if (!byDialect.postgres) throw new DialectUnsupported('a set of tables', 'postgres');
    if (typeof byDialect.postgres === 'function') return (byDialect.postgres as () => Promise<T>)();
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
  /** The hot read, prepared once: no SQL is built per request, and the server plans it once per connection. */
  private readonly byId;

  constructor(storage: PostgresStorage) {
    super(storage, storage.tables(pgKernelTables));
    this.byId = storage.store.db.select().from(messages).where(liveById(messages)).prepare('relaykit_message_by_id');
  }

  override async get(id: number, now: number): Promise<Message | null> {
    const [row] = await this.byId.execute({ id, now });
    return row ? toMessage(row) : null;
  }

  override insert(tx: Tx, rows: readonly NewMessageRow[]): Promise<number[]> {
    return insertMessages(tx as unknown as Parameters<typeof insertMessages>[0], rows.map(insertValues));
  }

  /** One statement is its own transaction: the batch is checked (guards), committed and announced in one round trip. */
  override insertCommitted(rows: readonly NewMessageRow[], options: CommitOptions = {}): Promise<number[] | null> {
    return insertGuarded(
      (this.storage as PostgresStorage).store.db,
      rows.map(insertValues),
      options.announce,
      options.guards ?? [],
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
