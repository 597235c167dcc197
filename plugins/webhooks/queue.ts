import { and, asc, eq, gt, inArray, lte, min, notInArray, sql } from 'drizzle-orm';
import type { Clock } from '../../src/kernel/clock.ts';
import type { SqliteDatabase } from '../../src/runtime/types.ts';
import type { EventCache } from './event-cache.ts';
import {
  type AttemptOutcome,
  type FailureReason,
  webhookAttempts,
  webhookDeliveries,
  webhookEvents,
} from './schema.ts';

/** A delivery the worker holds, with what it needs to send. */
export interface ClaimedDelivery {
  id: number;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
  /** Attempts made before this one, and failures since the last (re)queue. */
  attempts: number;
  failures: number;
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
const pending = eq(webhookDeliveries.status, 'pending');
/** A list of ids bound as one JSON array parameter, so one prepared statement serves any number of rows. */
const idList = sql`(select value from json_each(${p('ids')}))`;

/**
 * The worker's statements, prepared once per plugin instance: every delivery is
 * claimed and settled through these, so they are built and parsed once rather than at
 * every attempt (query building and preparing dominated the cost of a delivery).
 */
function prepareStatements(db: SqliteDatabase) {
  return {
    due: db
      .select({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId })
      .from(webhookDeliveries)
      .where(and(pending, lte(webhookDeliveries.nextAttemptAt, p('now'))))
      .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
      .limit(p('limit'))
      .prepare(),
    /** Leases due deliveries among `ids` (a row claimed elsewhere meanwhile is no longer due: left out). */
    lease: db
      .update(webhookDeliveries)
      .set({ leaseUntil: sql`${p('until')}`, nextAttemptAt: sql`${p('until')}` })
      // Unary `+` keeps SQLite from scanning the due index: the ids are looked up by rowid.
      .where(
        and(
          inArray(webhookDeliveries.id, idList),
          sql`+${webhookDeliveries.status} = 'pending'`,
          sql`+${webhookDeliveries.nextAttemptAt} <= ${p('now')}`,
        ),
      )
      .returning({
        id: webhookDeliveries.id,
        endpointId: webhookDeliveries.endpointId,
        eventId: webhookDeliveries.eventId,
        attempts: webhookDeliveries.attempts,
        failures: webhookDeliveries.failures,
      })
      .prepare(),
    events: db
      .select({ id: webhookEvents.id, type: webhookEvents.type, body: webhookEvents.body })
      .from(webhookEvents)
      .where(inArray(webhookEvents.id, idList))
      .prepare(),
    nextDueAfter: db
      .select({ at: min(webhookDeliveries.nextAttemptAt) })
      .from(webhookDeliveries)
      .where(and(pending, gt(webhookDeliveries.nextAttemptAt, p('now'))))
      .prepare(),
    insertAttempt: db
      .insert(webhookAttempts)
      .values({
        deliveryId: sql`${p('deliveryId')}`,
        attempt: sql`${p('attempt')}`,
        startedAt: sql`${p('startedAt')}`,
        durationMs: sql`${p('durationMs')}`,
        outcome: sql`${p('outcome')}`,
        status: sql`${p('status')}`,
        error: sql`${p('error')}`,
        responseExcerpt: sql`${p('excerpt')}`,
      })
      .prepare(),
    /** Marks `ids` delivered, each after one more attempt answered with `status`. */
    delivered: db
      .update(webhookDeliveries)
      .set({
        status: 'delivered',
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatus: sql`${p('status')}`,
        lastError: null,
        leaseUntil: null,
        finishedAt: sql`${p('now')}`,
      })
      .where(inArray(webhookDeliveries.id, idList))
      .prepare(),
    retryAt: db
      .update(webhookDeliveries)
      .set({
        nextAttemptAt: sql`${p('at')}`,
        attempts: sql`${p('attempts')}`,
        failures: sql`${p('failures')}`,
        lastStatus: sql`${p('status')}`,
        lastError: sql`${p('error')}`,
        leaseUntil: null,
      })
      .where(eq(webhookDeliveries.id, p('id')))
      .prepare(),
    failed: db
      .update(webhookDeliveries)
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
      .where(eq(webhookDeliveries.id, p('id')))
      .prepare(),
    /** Gives a claimed delivery back, due at `now`, nothing counted. */
    handBack: db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`${p('now')}`, leaseUntil: null })
      .where(eq(webhookDeliveries.id, p('id')))
      .prepare(),
  };
}

/** The worker's side of the outbox: claim due deliveries with a lease, then settle them. */
export class DeliveryQueue {
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock,
    private readonly events: EventCache,
  ) {
    this.statements = prepareStatements(db);
  }

  /** Due deliveries (oldest due first), skipping endpoints that have no room. */
  due(now: number, limit: number, skipEndpoints: readonly string[]): Array<{ id: number; endpointId: string }> {
    if (!skipEndpoints.length) return this.statements.due.all({ now, limit });
    return this.db
      .select({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId })
      .from(webhookDeliveries)
      .where(
        and(
          pending,
          lte(webhookDeliveries.nextAttemptAt, now),
          notInArray(webhookDeliveries.endpointId, [...skipEndpoints]),
        ),
      )
      .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
      .limit(limit)
      .all();
  }

  /**
   * Leases deliveries, each until its `until` (the lease also pushes the due time, so
   * a delivery whose process dies is due again when its lease ends). Returns those it
   * got: a row claimed elsewhere meanwhile is not due any more and is left out.
   */
  lease(items: ReadonlyArray<{ id: number; until: number }>, now: number): ClaimedDelivery[] {
    const byUntil = new Map<number, number[]>();
    for (const { id, until } of items) {
      const ids = byUntil.get(until);
      if (ids) ids.push(id);
      else byUntil.set(until, [id]);
    }
    const rows = [...byUntil].flatMap(([until, ids]) =>
      this.statements.lease.all({ ids: JSON.stringify(ids), until, now }),
    );
    // Bodies: from the cache when this process wrote them recently, else in one read.
    const missing = [...new Set(rows.filter((r) => !this.events.get(r.eventId)).map((r) => r.eventId))];
    const read = new Map(
      missing.length ? this.statements.events.all({ ids: JSON.stringify(missing) }).map((e) => [e.id, e]) : [],
    );
    const claimed: ClaimedDelivery[] = [];
    for (const row of rows) {
      const stored = this.events.get(row.eventId) ?? read.get(row.eventId);
      if (stored) claimed.push({ ...row, eventType: stored.type, body: stored.body });
    }
    return claimed.sort((a, b) => a.id - b.id);
  }

  /** Runs `fn` in one transaction (a worker cycle: settle, then claim). */
  atomically(fn: () => void): void {
    this.db.transaction(fn);
  }

  /** When the next pending delivery falls due after `now` (retries, leases ending), or null. */
  nextDueAfter(now: number): number | null {
    return this.statements.nextDueAfter.get({ now })?.at ?? null;
  }

  // Claims and the settling writes below run inside the worker cycle's transaction.

  recordAttempt(delivery: ClaimedDelivery, attempt: AttemptRecord): void {
    this.statements.insertAttempt.run({ deliveryId: delivery.id, attempt: delivery.attempts + 1, ...attempt });
  }

  /** Marks deliveries delivered after one more attempt (one statement for all of them). */
  delivered(ids: readonly number[], status: number | null): void {
    this.statements.delivered.run({ ids: JSON.stringify(ids), status, now: this.clock.now() });
  }

  retryAt(id: number, at: number, last: AttemptSummary): void {
    this.statements.retryAt.run({ id, at, ...last });
  }

  failed(id: number, reason: FailureReason, last: AttemptSummary): void {
    this.statements.failed.run({ id, reason, ...last, now: this.clock.now() });
  }

  /** Gives a claimed delivery back, due now, without counting an attempt. */
  handBack(id: number): void {
    this.statements.handBack.run({ id, now: this.clock.now() });
  }
}
