import { Buffer } from 'node:buffer';
import { and, asc, eq, getTableColumns, gt, inArray, lte, min, notInArray, type SQLWrapper, sql } from 'drizzle-orm';
import type { Clock } from '../../src/kernel/clock.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import { onFirstUse } from '../../src/storage/on-first-use.ts';
import type { Database, Tx } from '../../src/storage/storage.ts';
import type { EventCache } from './event-cache.ts';
import { type AttemptOutcome, type FailureReason, isPending } from './schema.ts';
import type { WebhookTables } from './tables.ts';

/** A delivery the worker holds, with what it needs to send. */
export interface ClaimedDelivery {
  id: number;
  endpointId: string;
  eventId: string;
  /** The event's stored envelope (its `type` is the event's type). */
  body: string;
  /** Attempts made before this one, and failures since the last (re)queue. */
  attempts: number;
  failures: number;
  /** The fencing token of this claim: only a row still carrying it may be settled by this worker. */
  leaseToken: string;
}

/** A due delivery, as the worker reads it before leasing. */
export interface DueDelivery {
  id: number;
  endpointId: string;
  eventId: string;
}

/** What an attempt left on a delivery that stays pending or ends failed. */
export interface AttemptSummary {
  attempts: number;
  failures: number;
  status: number | null;
  error: string | null;
}

export interface AttemptRecord {
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  status: number | null;
  error: string | null;
  excerpt: string | null;
}

const p = sql.placeholder;

/**
 * SQL that differs between the dialects: a list of ids bound as one JSON array
 * parameter (one prepared statement serves any number of rows), and a column
 * reference that keeps SQLite's planner off an index (unary `+`, which Postgres
 * does not accept on text).
 */
function dialectSql(dialect: PluginStorage['dialect']) {
  return dialect === 'sqlite'
    ? {
        ids: (name: string) => sql`(select value from json_each(${p(name)}))`,
        unindexed: (column: SQLWrapper) => sql`+${column}`,
      }
    : {
        ids: (name: string) => sql`(select value::bigint from json_array_elements_text(${p(name)}::json))`,
        unindexed: (column: SQLWrapper) => sql`${column}`,
      };
}

/** Most attempt rows per INSERT on PostgreSQL (bound parameters, 8 per row). */
const ATTEMPTS_CHUNK = 128;

/** An attempt row as inserted. */
type AttemptInsert = Omit<WebhookTables['attempts']['$inferInsert'], 'id'>;

/** The fields of an attempt row, in the order `insertAttemptsFromJson` reads them from each array. */
const ATTEMPT_FIELDS = [
  'deliveryId',
  'attempt',
  'startedAt',
  'durationMs',
  'outcome',
  'status',
  'error',
  'responseExcerpt',
] as const satisfies ReadonlyArray<keyof AttemptInsert>;

/**
 * SQLite: every attempt row of a batch in one INSERT whose rows arrive as one JSON
 * array of arrays (ATTEMPT_FIELDS), expanded by `json_each` in SQLite itself: one
 * parameter however many rows, no per-row, per-column placeholders to build and bind.
 * Rows go in array order, so attempt ids keep the order attempts were recorded.
 */
function insertAttemptsFromJson(db: Database, t: WebhookTables) {
  // INSERT ... SELECT names every column of the table, in its order: the id is left to SQLite.
  const select = Object.keys(getTableColumns(t.attempts)).map((key) => {
    const i = (ATTEMPT_FIELDS as readonly string[]).indexOf(key);
    return sql.raw(i < 0 ? 'null' : `json_extract(value, '$[${i}]')`);
  });
  return db
    .insert(t.attempts)
    .select(sql`select ${sql.join(select, sql`, `)} from json_each(${p('rows')})`)
    .prepare();
}

/**
 * The worker's statements, prepared once per plugin instance: every delivery is
 * claimed and settled through these, so they are built and parsed once rather than at
 * every attempt (query building and preparing dominated the cost of a delivery).
 */
type Statements = ReturnType<typeof prepareStatements>;

/**
 * On PostgreSQL, the candidates a worker reads are locked (`FOR UPDATE SKIP LOCKED`):
 * workers of other nodes claiming at the same moment skip them instead of queueing
 * behind this transaction, and take other due rows. SQLite has one writer: as is.
 */
function skipLocked<Q>(query: Q, dialect: PluginStorage['dialect']): Q {
  if (dialect === 'sqlite') return query;
  // The builder is PostgreSQL's at runtime (typed as SQLite's, see Database).
  return (query as unknown as { for(strength: 'update', config: { skipLocked: true }): Q }).for('update', {
    skipLocked: true,
  });
}

function prepareStatements(db: Database, t: WebhookTables, dialect: PluginStorage['dialect']) {
  const { deliveries, events } = t;
  const d = dialectSql(dialect);
  const pending = isPending(deliveries.status);
  // Built by the two statements that lease, on their first use: not for a worker that never leases.
  const lease = () =>
    db
      .update(deliveries)
      .set({ leaseUntil: sql`${p('until')}`, nextAttemptAt: sql`${p('until')}`, leaseToken: sql`${p('token')}` })
      // The ids are looked up by primary key, not through the due index.
      .where(
        and(
          inArray(deliveries.id, d.ids('ids')),
          sql`${d.unindexed(deliveries.status)} = 'pending'`,
          sql`${d.unindexed(deliveries.nextAttemptAt)} <= ${p('now')}`,
        ),
      );
  const leased = {
    id: deliveries.id,
    endpointId: deliveries.endpointId,
    eventId: deliveries.eventId,
    attempts: deliveries.attempts,
    failures: deliveries.failures,
    leaseToken: deliveries.leaseToken,
  };
  // Each prepared on its first use: a worker that has nothing to deliver prepares the one it polls with.
  return onFirstUse({
    due: () =>
      skipLocked(
        db
          .select({ id: deliveries.id, endpointId: deliveries.endpointId, eventId: deliveries.eventId })
          .from(deliveries)
          .where(and(pending, lte(deliveries.nextAttemptAt, p('now'))))
          .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id))
          .limit(p('limit')),
        dialect,
      ).prepare(),
    /** Leases due deliveries among `ids` (a row claimed elsewhere meanwhile is no longer due: left out). */
    lease: () => lease().returning(leased).prepare(),
    /**
     * `lease`, also reading each delivery's event body: one subquery per row (one lookup
     * of the event) in place of a second statement that looked the ids up again.
     */
    leaseWithBodies: () =>
      lease()
        .returning({
          ...leased,
          body: sql<string | null>`(select ${events.body} from ${events} where ${events.id} = ${deliveries.eventId})`,
        })
        .prepare(),
    /**
     * Locks `ids` for the settling transaction and returns their current tokens: a
     * row whose token is not the settling claim's was claimed again by someone else.
     */
    fence: () =>
      db
        .update(deliveries)
        .set({ leaseToken: sql`${deliveries.leaseToken}` })
        .where(inArray(deliveries.id, d.ids('ids')))
        .returning({ id: deliveries.id, leaseToken: deliveries.leaseToken })
        .prepare(),
    nextDueAfter: () =>
      db
        .select({ at: min(deliveries.nextAttemptAt) })
        .from(deliveries)
        .where(and(pending, gt(deliveries.nextAttemptAt, p('now'))))
        .prepare(),
    /**
     * Marks `ids` delivered, each after one more attempt answered with `status`, if the
     * row still carries the claim's `token` (the fence and the write in one statement:
     * on PostgreSQL the row lock makes a concurrent claim wait, then find it settled).
     * Returns the ids it marked.
     */
    delivered: () =>
      db
        .update(deliveries)
        .set({
          status: 'delivered',
          attempts: sql`${deliveries.attempts} + 1`,
          lastStatus: sql`${p('status')}`,
          lastError: null,
          leaseUntil: null,
          finishedAt: sql`${p('now')}`,
        })
        .where(and(inArray(deliveries.id, d.ids('ids')), sql`${d.unindexed(deliveries.leaseToken)} = ${p('token')}`))
        .returning({ id: deliveries.id })
        .prepare(),
    retryAt: () =>
      db
        .update(deliveries)
        .set({
          nextAttemptAt: sql`${p('at')}`,
          attempts: sql`${p('attempts')}`,
          failures: sql`${p('failures')}`,
          lastStatus: sql`${p('status')}`,
          lastError: sql`${p('error')}`,
          leaseUntil: null,
        })
        .where(eq(deliveries.id, p('id')))
        .prepare(),
    failed: () =>
      db
        .update(deliveries)
        .set({
          status: 'failed',
          failureReason: sql`${p('reason')}`,
          attempts: sql`${p('attempts')}`,
          failures: sql`${p('failures')}`,
          lastStatus: sql`${p('status')}`,
          lastError: sql`${p('error')}`,
          leaseUntil: null,
          finishedAt: sql`${p('now')}`,
        })
        .where(eq(deliveries.id, p('id')))
        .prepare(),
    /** SQLite only (see insertAttemptsFromJson). */
    insertAttempts: () => (dialect === 'sqlite' ? insertAttemptsFromJson(db, t) : null),
    /** Gives a claimed delivery back, due at `now`, nothing counted (only while the claim still holds it). */
    handBack: () =>
      db
        .update(deliveries)
        .set({ nextAttemptAt: sql`${p('now')}`, leaseUntil: null })
        .where(and(eq(deliveries.id, p('id')), eq(deliveries.leaseToken, p('token'))))
        .prepare(),
  });
}

/** The worker's side of the outbox: claim due deliveries with a lease, then settle them. */
export class DeliveryQueue {
  /** SQLite: prepared once on its one connection. Other stores: per transaction (a prepared statement runs where it was built). */
  private readonly statements: Statements | null;
  private readonly perTx = new WeakMap<Tx, Statements>();
  /** This queue's fencing tokens: `<random>.<claim number>`, unique across processes and claims. */
  // Web Crypto's random bytes: node:crypto stays unloaded until something needs it.
  private readonly owner = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('base64url');
  private claims = 0;

  constructor(
    private readonly storage: PluginStorage,
    private readonly t: WebhookTables,
    private readonly clock: Clock,
    private readonly events: EventCache,
  ) {
    this.statements = storage.dialect === 'sqlite' ? prepareStatements(storage.db, t, storage.dialect) : null;
  }

  /** The statements that run inside `tx`. */
  private on(tx: Tx): Statements {
    if (this.statements) return this.statements;
    let statements = this.perTx.get(tx);
    if (!statements) {
      statements = prepareStatements(tx, this.t, this.storage.dialect);
      this.perTx.set(tx, statements);
    }
    return statements;
  }

  /** Due deliveries (oldest due first), skipping endpoints that have no room. */
  async due(tx: Tx, now: number, limit: number, skipEndpoints: readonly string[]): Promise<DueDelivery[]> {
    const { deliveries } = this.t;
    if (!skipEndpoints.length) {
      // SQLite: array rows, read by position (see leaseRows).
      if (this.statements) {
        const rows: unknown[][] = await this.statements.due.values({ now, limit });
        return rows.map((r) => ({ id: r[0] as number, endpointId: r[1] as string, eventId: r[2] as string }));
      }
      return this.on(tx).due.execute({ now, limit });
    }
    return skipLocked(
      tx
        .select({ id: deliveries.id, endpointId: deliveries.endpointId, eventId: deliveries.eventId })
        .from(deliveries)
        .where(
          and(
            isPending(deliveries.status),
            lte(deliveries.nextAttemptAt, now),
            notInArray(deliveries.endpointId, [...skipEndpoints]),
          ),
        )
        .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id))
        .limit(limit),
      this.storage.dialect,
    );
  }

  /**
   * Leases deliveries, each until its `until` (the lease also pushes the due time, so
   * a delivery whose process dies is due again when its lease ends). Returns those it
   * got: a row claimed elsewhere meanwhile is not due any more and is left out. Event
   * bodies come from the cache when this process wrote them recently; otherwise the
   * lease reads them in the same statement.
   */
  async lease(tx: Tx, items: ReadonlyArray<DueDelivery & { until: number }>, now: number): Promise<ClaimedDelivery[]> {
    const statements = this.on(tx);
    const byUntil = new Map<number, number[]>();
    let allCached = true;
    for (const { id, until, eventId } of items) {
      const ids = byUntil.get(until);
      if (ids) ids.push(id);
      else byUntil.set(until, [id]);
      if (allCached && !this.events.get(eventId)) allCached = false;
    }
    const claimed: ClaimedDelivery[] = [];
    for (const [until, ids] of byUntil) {
      const token = `${this.owner}.${++this.claims}`;
      const params = { ids: JSON.stringify(ids), until, now, token };
      for (const row of await this.leaseRows(statements, params, !allCached)) {
        // Cached when the ids were read; an event never changes, so a copy evicted since is re-read.
        if (allCached) row.body = this.events.get(row.eventId) ?? (await this.body(tx, row.eventId)) ?? null;
        // The event row goes only with its deliveries (a cascade): never missing while a delivery is pending.
        if (row.body !== null) claimed.push(row as ClaimedDelivery);
      }
    }
    return claimed.sort((a, b) => a.id - b.id);
  }

  /**
   * Runs the lease (`withBodies`: also reading the event bodies; else `body` is null).
   * On SQLite the rows come back as arrays, read by position (the order `leased` names
   * the columns in) without Drizzle's mapping of every column of every row.
   */
  private async leaseRows(
    statements: Statements,
    params: { ids: string; until: number; now: number; token: string },
    withBodies: boolean,
  ): Promise<Array<Omit<ClaimedDelivery, 'body'> & { body: string | null }>> {
    if (this.statements) {
      const rows: unknown[][] = await (withBodies ? statements.leaseWithBodies : statements.lease).values(params);
      return rows.map((r) => ({
        id: r[0] as number,
        endpointId: r[1] as string,
        eventId: r[2] as string,
        attempts: r[3] as number,
        failures: r[4] as number,
        leaseToken: (r[5] as string | null) ?? '',
        body: withBodies ? (r[6] as string | null) : null,
      }));
    }
    const rows = withBodies ? await statements.leaseWithBodies.execute(params) : await statements.lease.execute(params);
    return rows.map((row) => ({ body: null, ...row, leaseToken: row.leaseToken ?? '' }));
  }

  /** One event's body, read in `tx` (a cache miss after the cache was checked). */
  private async body(tx: Tx, id: string): Promise<string | undefined> {
    const { events } = this.t;
    const [row] = await tx.select({ body: events.body }).from(events).where(eq(events.id, id));
    return row?.body;
  }

  /** Runs `fn` in one transaction (a worker cycle: settle, then claim). */
  atomically<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.storage.transaction(fn);
  }

  /** When the next pending delivery falls due after `now` (retries, leases ending), or null. */
  async nextDueAfter(now: number): Promise<number | null> {
    const { deliveries } = this.t;
    const [row] = await this.storage.db
      .select({ at: min(deliveries.nextAttemptAt) })
      .from(deliveries)
      .where(and(isPending(deliveries.status), gt(deliveries.nextAttemptAt, now)));
    return row?.at == null ? null : Number(row.at);
  }

  // Claims and the settling writes below run inside the worker cycle's transaction.

  /** Records attempts, one row each, in one INSERT (SQLite) or one per ATTEMPTS_CHUNK rows (PostgreSQL). */
  async recordAttempts(
    tx: Tx,
    recorded: ReadonlyArray<{ delivery: ClaimedDelivery; attempt: AttemptRecord }>,
  ): Promise<void> {
    if (!recorded.length) return;
    const insert = this.statements?.insertAttempts;
    if (insert) {
      // In ATTEMPT_FIELDS order.
      const rows = recorded.map(({ delivery: d, attempt: a }) => [
        d.id,
        d.attempts + 1,
        a.startedAt,
        a.durationMs,
        a.outcome,
        a.status,
        a.error,
        a.excerpt,
      ]);
      await insert.execute({ rows: JSON.stringify(rows) });
      return;
    }
    const rows: AttemptInsert[] = recorded.map(({ delivery: d, attempt: a }) => ({
      deliveryId: d.id,
      attempt: d.attempts + 1,
      startedAt: a.startedAt,
      durationMs: a.durationMs,
      outcome: a.outcome,
      status: a.status,
      error: a.error,
      responseExcerpt: a.excerpt,
    }));
    // Prepared statements last one transaction here: a plain multi-row INSERT costs the same.
    for (let i = 0; i < rows.length; i += ATTEMPTS_CHUNK)
      await tx.insert(this.t.attempts).values(rows.slice(i, i + ATTEMPTS_CHUNK));
  }

  /**
   * Marks deliveries delivered after one more attempt answered `status`, each only if
   * this worker's claim still holds it (one statement per claim among them); returns
   * the ids marked. The others were claimed again elsewhere after their lease ended.
   */
  async delivered(tx: Tx, deliveries: readonly ClaimedDelivery[], status: number | null): Promise<Set<number>> {
    const byToken = new Map<string, number[]>();
    for (const d of deliveries) {
      const ids = byToken.get(d.leaseToken);
      if (ids) ids.push(d.id);
      else byToken.set(d.leaseToken, [d.id]);
    }
    const marked = new Set<number>();
    const now = this.clock.now();
    for (const [token, ids] of byToken) {
      const rows = await this.on(tx).delivered.execute({ ids: JSON.stringify(ids), token, status, now });
      for (const row of rows) marked.add(Number(row.id));
    }
    return marked;
  }

  async retryAt(tx: Tx, id: number, at: number, last: AttemptSummary): Promise<void> {
    await this.on(tx).retryAt.execute({ id, at, ...last });
  }

  async failed(tx: Tx, id: number, reason: FailureReason, last: AttemptSummary): Promise<void> {
    await this.on(tx).failed.execute({ id, reason, ...last, now: this.clock.now() });
  }

  /** Gives a claimed delivery back, due now, without counting an attempt (if the claim still holds it). */
  async handBack(tx: Tx, delivery: ClaimedDelivery): Promise<void> {
    await this.on(tx).handBack.execute({ id: delivery.id, token: delivery.leaseToken, now: this.clock.now() });
  }

  /**
   * The fence before settling: locks the deliveries (until `tx` ends) and returns the
   * ids this worker's claims still hold. A delivery whose lease expired and that another
   * worker claimed since carries that worker's token: its result is not ours to record.
   */
  async fence(tx: Tx, deliveries: readonly ClaimedDelivery[]): Promise<Set<number>> {
    if (!deliveries.length) return new Set();
    const tokens = new Map(deliveries.map((d) => [d.id, d.leaseToken]));
    const rows = await this.on(tx).fence.execute({ ids: JSON.stringify([...tokens.keys()]) });
    return new Set(rows.filter((r) => r.leaseToken === tokens.get(r.id)).map((r) => r.id));
  }
}
