import { type AnyColumn, and, asc, count, eq, gt, inArray, isNull, lte, min, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { onFirstUse } from '../storage/on-first-use.ts';
import { SqliteStorage } from '../storage/sqlite.ts';
import type { DialectTables, RowGuard, Storage, Tx } from '../storage/storage.ts';
import { type EncodedMessage, encodeStored, messageJson, type StoredValues } from './encode.ts';
import { hubMeta, type MessageRow, messageIdempotency, messages, type NewMessageRow } from './schema.ts';
import {
  type CommitOptions,
  claimId,
  type ExpiredRow,
  type ExpiryCount,
  type IdempotencyClaim,
  type IdempotencyRecord,
  type ListQuery,
  type MessageStore,
  type ReplayQuery,
} from './store.ts';
import type { Message } from './types.ts';

const HORIZON_KEY = 'retention_horizon';

/** The kernel's tables (SQLite; the PostgreSQL store brings their twins, loaded only with it). */
export const kernelTables: DialectTables<{
  messages: typeof messages;
  hubMeta: typeof hubMeta;
  idempotency: typeof messageIdempotency;
}> = {
  sqlite: { messages, hubMeta, idempotency: messageIdempotency },
};

/** A new row with every column present (absent optional ones as null), as prepared inserts and PostgreSQL's take it. */
export function insertValues(r: NewMessageRow) {
  return {
    from: r.from ?? null,
    to: r.to ?? null,
    channel: r.channel ?? null,
    type: r.type,
    payload: r.payload,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt ?? null,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    from: row.from,
    to: row.to,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload),
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
    deliveredAt: row.deliveredAt === null ? null : new Date(row.deliveredAt).toISOString(),
  };
}

/** Whether the row a guard names exists and holds its expected value, read inside `tx`. */
async function holds(tx: Tx, guard: RowGuard): Promise<boolean> {
  const [row] = await tx
    .select({ value: guard.column as SQLiteColumn })
    .from(guard.table as SQLiteTable)
    .where(eq(guard.key.column as SQLiteColumn, guard.key.value));
  return row !== undefined && Number(row.value) === guard.expected;
}

/**
 * The hot read's condition, for either dialect's table: the message with the `id`
 * placeholder, unless it expired by the `now` placeholder.
 */
export function liveById(table: { id: AnyColumn; expiresAt: AnyColumn }): SQL | undefined {
  return and(
    eq(table.id, sql.placeholder('id')),
    or(isNull(table.expiresAt), gt(table.expiresAt, sql.placeholder('now'))),
  );
}

/** Statements only SQLite runs, prepared once over its synchronous driver: the hot read, the insert and the sweep's delete. */
function prepareSqlite(storage: SqliteStorage) {
  const db = storage.sync;
  const column = (name: string) => sql.placeholder(name);
  const remove = () => {
    const due = db
      .select({ id: messages.id })
      .from(messages)
      .where(lte(messages.expiresAt, sql.placeholder('now')))
      .orderBy(asc(messages.expiresAt))
      .limit(sql.placeholder('limit'));
    return db.delete(messages).where(inArray(messages.id, due));
  };
  const byId = () => db.select().from(messages).where(liveById(messages));
  // Each prepared on its first use.
  const statements = onFirstUse({
    byId: () => byId().prepare(),
    /**
     * The same read, as the SQL Drizzle writes for it, run by the driver itself with
     * positional parameters: `GET /messages/:id` skips the builder's per-call parameter
     * filling and row handling (about a microsecond of a read of ~7).
     */
    byIdRaw: () => {
      const query = byId().toSQL();
      const names = query.params.map((param) => (param as { name?: string }).name).join();
      if (names !== 'id,now') throw new Error(`the by-id read binds (${names}), not (id, now)`);
      return storage.prepareValues(query.sql);
    },
    /** One row; runs inside the caller's transaction (the one SQLite connection). */
    insertOne: () =>
      db
        .insert(messages)
        .values({
          from: column('from'),
          to: column('to'),
          channel: column('channel'),
          type: column('type'),
          payload: column('payload'),
          createdAt: column('createdAt'),
          expiresAt: column('expiresAt'),
        })
        .returning({ id: messages.id })
        .prepare(),
    deleteWhole: () => remove().returning().prepare(),
    deleteIds: () => remove().returning({ id: messages.id, type: messages.type }).prepare(),
  });
  return {
    /** The hot read; like any read through `db`, it waits for a transaction open elsewhere. */
    byId: (id: number, now: number) => storage.outside(() => statements.byId.get({ id, now })),
    /** The hot read as a bare row array: no Drizzle row mapping (see `getEncoded`). */
    byIdValues: (id: number, now: number) => storage.outside(() => statements.byIdRaw(id, now) as StoredValues[]),
    statements,
  };
}

/** The first row of the hot read, encoded (null when there is none). */
function encodedRow(rows: StoredValues[]): EncodedMessage | null {
  const row = rows[0];
  if (!row) return null;
  return { head: { from: row[1], to: row[2], channel: row[3] }, json: encodeStored(row) };
}

/**
 * The message store over any `Storage`, with the query builder both dialects share.
 * On SQLite the hot read (`get`) and the sweep's delete use statements prepared once.
 */
export class SqlMessageStore implements MessageStore {
  private readonly t: typeof kernelTables.sqlite;
  private readonly prepared: ReturnType<typeof prepareSqlite> | null;

  constructor(
    protected readonly storage: Storage,
    tables: typeof kernelTables.sqlite = storage.tables(kernelTables),
  ) {
    this.t = tables;
    this.prepared = storage instanceof SqliteStorage ? prepareSqlite(storage) : null;
  }

  async insert(tx: Tx, rows: readonly NewMessageRow[]): Promise<number[]> {
    if (this.prepared) {
      // One prepared statement per row inside the caller's BEGIN: no SQL is built or
      // compiled per batch, and the ids come back in row order.
      const { insertOne } = this.prepared.statements;
      return rows.map((row) => (insertOne.get(insertValues(row)) as { id: number }).id);
    }
    const ids = await tx
      .insert(this.t.messages)
      .values([...rows])
      .returning({ id: this.t.messages.id });
    return ids.map((r) => r.id).sort((a, b) => a - b);
  }

  insertCommitted(rows: readonly NewMessageRow[], options: CommitOptions = {}): Promise<number[] | null> {
    if (options.announce !== undefined) throw new Error('this store cannot announce a batch from its insert');
    const guards = options.guards ?? [];
    return this.storage.transaction(async (tx) => {
      // Inside the batch's transaction: on SQLite (one connection) nothing writes in between.
      for (const guard of guards) if (!(await holds(tx, guard))) return null;
      return this.insert(tx, rows);
    });
  }

  async get(id: number, now: number): Promise<Message | null> {
    let row: MessageRow | undefined;
    if (this.prepared) {
      const read = this.prepared.byId(id, now);
      // Only a read that waited for a transaction is a promise: the usual one costs no extra tick.
      row = read instanceof Promise ? await read : read;
    } else {
      [row] = await this.storage.db
        .select()
        .from(this.t.messages)
        .where(and(eq(this.t.messages.id, id), this.live(now)));
    }
    return row ? toMessage(row) : null;
  }

  getEncoded(id: number, now: number): EncodedMessage | null | Promise<EncodedMessage | null> {
    if (!this.prepared) {
      return this.get(id, now).then((message) => (message ? { head: message, json: messageJson(message) } : null));
    }
    const read = this.prepared.byIdValues(id, now);
    return read instanceof Promise ? read.then(encodedRow) : encodedRow(read);
  }

  list(query: ListQuery, now: number): Promise<Message[]> {
    const m = this.t.messages;
    const where: SQL[] = [this.live(now)];
    if (query.after !== undefined) where.push(gt(m.id, query.after));
    if (query.client !== undefined) where.push(eq(m.to, query.client));
    if (query.channel !== undefined) where.push(eq(m.channel, query.channel));
    if (query.type !== undefined) where.push(eq(m.type, query.type));
    if (query.maxBytes === undefined) return this.page(where, query.limit);
    return this.boundedPage(where, query.limit, query.maxBytes);
  }

  /**
   * A page of at most `maxBytes` payload characters: the sizes are read first (ids and
   * lengths only), so a page of large messages never loads more than it returns.
   */
  private async boundedPage(where: SQL[], limit: number, maxBytes: number): Promise<Message[]> {
    const m = this.t.messages;
    const sizes = await this.storage.db
      .select({ id: m.id, size: sql<number>`length(${m.payload})` })
      .from(m)
      .where(and(...where))
      .orderBy(asc(m.id))
      .limit(limit);
    let total = 0;
    let last = 0;
    for (const row of sizes) {
      total += Number(row.size);
      if (total > maxBytes && last !== 0) break;
      last = row.id;
    }
    if (last === 0) return [];
    return this.page([...where, lte(m.id, last)], limit);
  }

  async replay(query: ReplayQuery, now: number): Promise<Message[]> {
    const m = this.t.messages;
    const where: SQL[] = [gt(m.id, query.after), this.live(now)];
    if (!query.all) {
      const targets: SQL[] = [];
      if (query.channels?.length) targets.push(inArray(m.channel, [...query.channels]));
      if (query.to !== undefined) targets.push(eq(m.to, query.to));
      if (!targets.length) return [];
      where.push(targets.length === 1 ? targets[0] : (or(...targets) as SQL));
    }
    if (query.types?.length) where.push(inArray(m.type, [...query.types]));
    return this.page(where, query.limit);
  }

  async markDelivered(id: number, by: string | null, now: number): Promise<Message | null> {
    const m = this.t.messages;
    const [row] = await this.storage.db
      .update(m)
      .set({ deliveredAt: now, deliveredBy: by })
      .where(and(eq(m.id, id), isNull(m.deliveredAt), this.live(now)))
      .returning();
    return row ? toMessage(row) : null;
  }

  async maxId(): Promise<number> {
    const [row] = await this.storage.db
      .select({ id: sql<number>`coalesce(max(${this.t.messages.id}), 0)` })
      .from(this.t.messages);
    return Number(row?.id ?? 0);
  }

  async horizon(): Promise<number> {
    const [row] = await this.storage.db.select().from(this.t.hubMeta).where(eq(this.t.hubMeta.key, HORIZON_KEY));
    return row ? Number(row.value) : 0;
  }

  async raiseHorizon(tx: Tx, id: number): Promise<void> {
    const { hubMeta: meta } = this.t;
    // Text values: compare as numbers, so the horizon never moves back.
    await tx
      .insert(meta)
      .values({ key: HORIZON_KEY, value: String(id) })
      .onConflictDoUpdate({
        target: meta.key,
        set: { value: String(id) },
        setWhere: sql`cast(${meta.value} as bigint) < ${id}`,
      });
  }

  async deleteExpired(tx: Tx, now: number, limit: number, whole: boolean): Promise<ExpiredRow[]> {
    if (this.prepared) {
      // The prepared statement runs on the one SQLite connection, inside the caller's BEGIN.
      const { statements } = this.prepared;
      return (whole ? statements.deleteWhole : statements.deleteIds).all({ now, limit }) as ExpiredRow[];
    }
    const m = this.t.messages;
    const due = tx.select({ id: m.id }).from(m).where(lte(m.expiresAt, now)).orderBy(asc(m.expiresAt)).limit(limit);
    const remove = tx.delete(m).where(inArray(m.id, due));
    const rows = whole ? await remove.returning() : await remove.returning({ id: m.id, type: m.type });
    return rows as ExpiredRow[];
  }

  async setExpiry(id: number, expiresAt: number | null, now: number): Promise<boolean> {
    const m = this.t.messages;
    const changed = await this.storage.db
      .update(m)
      .set({ expiresAt })
      .where(and(eq(m.id, id), this.live(now)))
      .returning({ id: m.id });
    return changed.length > 0;
  }

  async earliestExpiry(after: number | null): Promise<number | null> {
    const m = this.t.messages;
    const [row] = await this.storage.db
      .select({ at: min(m.expiresAt) })
      .from(m)
      .where(after === null ? undefined : gt(m.expiresAt, after));
    return row?.at == null ? null : Number(row.at);
  }

  async countExpiring(kind: ExpiryCount, now: number, limit: number): Promise<number> {
    const m = this.t.messages;
    const { db } = this.storage;
    const where = kind === 'due' ? lte(m.expiresAt, now) : gt(m.expiresAt, now);
    const rows = db.select({ one: sql`1` }).from(m).where(where).limit(limit).as('counted');
    const [row] = await db.select({ n: count() }).from(rows);
    return Number(row?.n ?? 0);
  }

  async findKey(scope: string, key: string, now: number): Promise<IdempotencyRecord | null> {
    const k = this.t.idempotency;
    const [row] = await this.storage.db
      .select({ fingerprint: k.fingerprint, messageId: k.messageId })
      .from(k)
      .where(and(eq(k.scope, scope), eq(k.key, key), gt(k.expiresAt, now)));
    return row
      ? { fingerprint: row.fingerprint, messageId: row.messageId === null ? null : Number(row.messageId) }
      : null;
  }

  async claimKeys(
    tx: Tx,
    claims: readonly IdempotencyClaim[],
    now: number,
    expiresAt: number,
  ): Promise<IdempotencyClaim[]> {
    if (!claims.length) return [];
    const k = this.t.idempotency;
    const taken = await tx
      .insert(k)
      .values(claims.map((c) => ({ ...c, messageId: null, createdAt: now, expiresAt })))
      .onConflictDoUpdate({
        target: [k.scope, k.key],
        // Only a record whose window is over is replaced.
        set: {
          fingerprint: sql`excluded.fingerprint`,
          messageId: null,
          createdAt: now,
          expiresAt,
        },
        setWhere: lte(k.expiresAt, now),
      })
      .returning({ scope: k.scope, key: k.key });
    const won = new Set(taken.map(claimId));
    return claims.filter((c) => won.has(claimId(c)));
  }

  async readKeys(tx: Tx, claims: readonly IdempotencyClaim[]): Promise<Map<string, IdempotencyRecord>> {
    const out = new Map<string, IdempotencyRecord>();
    if (!claims.length) return out;
    const k = this.t.idempotency;
    const rows = await tx
      .select({ scope: k.scope, key: k.key, fingerprint: k.fingerprint, messageId: k.messageId })
      .from(k)
      .where(or(...claims.map((c) => and(eq(k.scope, c.scope), eq(k.key, c.key)))));
    for (const row of rows) {
      out.set(claimId(row), {
        fingerprint: row.fingerprint,
        messageId: row.messageId === null ? null : Number(row.messageId),
      });
    }
    return out;
  }

  async bindKeys(tx: Tx, bound: ReadonlyArray<{ scope: string; key: string; messageId: number }>): Promise<void> {
    const k = this.t.idempotency;
    for (const { scope, key, messageId } of bound) {
      await tx
        .update(k)
        .set({ messageId })
        .where(and(eq(k.scope, scope), eq(k.key, key)));
    }
  }

  async purgeKeys(now: number, limit: number): Promise<number> {
    const k = this.t.idempotency;
    const { db } = this.storage;
    // Bounded by expiry: at most about `limit` rows (ties aside) per call.
    const [nth] = await db
      .select({ at: k.expiresAt })
      .from(k)
      .where(lte(k.expiresAt, now))
      .orderBy(asc(k.expiresAt))
      .limit(1)
      .offset(limit - 1);
    const cutoff = nth ? Number(nth.at) : now;
    const removed = await db.delete(k).where(lte(k.expiresAt, cutoff)).returning({ scope: k.scope });
    return removed.length;
  }

  private async page(where: SQL[], limit: number): Promise<Message[]> {
    const m = this.t.messages;
    const rows = await this.storage.db
      .select()
      .from(m)
      .where(and(...where))
      .orderBy(asc(m.id))
      .limit(limit);
    return rows.map(toMessage);
  }

  private live(now: number): SQL {
    const m = this.t.messages;
    return or(isNull(m.expiresAt), gt(m.expiresAt, now)) as SQL;
  }
}
