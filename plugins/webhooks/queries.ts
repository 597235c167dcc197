import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { SqliteDatabase } from '../../src/runtime/types.ts';
import { iso } from './endpoints.ts';
import {
  type AttemptOutcome,
  type DeliveryStatus,
  type FailureReason,
  webhookAttempts,
  webhookDeliveries,
  webhookEvents,
} from './schema.ts';

/** A delivery as the API shows it. */
export interface Delivery {
  id: number;
  /** The `webhook-id` of every attempt. */
  eventId: string;
  eventType: string;
  messageId: number | null;
  endpointId: string;
  status: DeliveryStatus;
  failureReason: FailureReason | null;
  attempts: number;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  /** Whether a worker holds it right now. */
  inFlight: boolean;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface Attempt {
  id: number;
  deliveryId: number;
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  status: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface DeliveryFilter {
  endpoint?: string;
  status?: DeliveryStatus;
  after?: number;
  limit: number;
}

const deliveryColumns = {
  row: webhookDeliveries,
  eventType: webhookEvents.type,
  messageId: webhookEvents.messageId,
};

type Joined = { row: typeof webhookDeliveries.$inferSelect; eventType: string; messageId: number | null };

function toDelivery({ row, eventType, messageId }: Joined, now: number): Delivery {
  const pending = row.status === 'pending';
  return {
    id: row.id,
    eventId: row.eventId,
    eventType,
    messageId,
    endpointId: row.endpointId,
    status: row.status,
    failureReason: row.failureReason ?? null,
    attempts: row.attempts,
    nextAttemptAt: pending ? iso(row.nextAttemptAt) : null,
    inFlight: pending && row.leaseUntil !== null && row.leaseUntil > now,
    lastStatus: row.lastStatus ?? null,
    lastError: row.lastError ?? null,
    createdAt: iso(row.createdAt) as string,
    finishedAt: iso(row.finishedAt),
  };
}

/** Reads deliveries and attempts for the API. */
export class DeliveryQueries {
  constructor(private readonly db: SqliteDatabase) {}

  list(filter: DeliveryFilter, now: number): Delivery[] {
    const where: SQL[] = [];
    if (filter.endpoint !== undefined) where.push(eq(webhookDeliveries.endpointId, filter.endpoint));
    if (filter.status !== undefined) where.push(eq(webhookDeliveries.status, filter.status));
    if (filter.after !== undefined) where.push(gt(webhookDeliveries.id, filter.after));
    return this.db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(where.length ? and(...where) : undefined)
      .orderBy(asc(webhookDeliveries.id))
      .limit(filter.limit)
      .all()
      .map((r) => toDelivery(r, now));
  }

  get(id: number, now: number): Delivery | null {
    const row = this.db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(eq(webhookDeliveries.id, id))
      .get();
    return row ? toDelivery(row, now) : null;
  }

  attempts(deliveryId: number): Attempt[] {
    return this.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.deliveryId, deliveryId))
      .orderBy(asc(webhookAttempts.id))
      .all()
      .map((a) => ({
        id: a.id,
        deliveryId: a.deliveryId,
        attempt: a.attempt,
        startedAt: iso(a.startedAt) as string,
        durationMs: a.durationMs,
        outcome: a.outcome,
        status: a.status ?? null,
        error: a.error ?? null,
        responseExcerpt: a.responseExcerpt ?? null,
      }));
  }
}
