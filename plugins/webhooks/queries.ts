import { and, asc, eq, gt, isNotNull, type SQL } from 'drizzle-orm';
import type { Database } from '../../src/storage/storage.ts';
import { iso } from './endpoints.ts';
import { type AttemptOutcome, type DeliveryStatus, type FailureReason, isPending } from './schema.ts';
import type { WebhookTables } from './tables.ts';

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

type Joined = { row: WebhookTables['deliveries']['$inferSelect']; eventType: string; messageId: number | null };

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
  constructor(
    private readonly db: Database,
    private readonly t: WebhookTables,
  ) {}

  private joined() {
    const { deliveries, events } = this.t;
    return this.db
      .select({ row: deliveries, eventType: events.type, messageId: events.messageId })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId));
  }

  async list(filter: DeliveryFilter, now: number): Promise<Delivery[]> {
    const d = this.t.deliveries;
    const where: SQL[] = [];
    if (filter.endpoint !== undefined) where.push(eq(d.endpointId, filter.endpoint));
    // Each status through its partial index: pending rows are the due index's, settled
    // ones (all with a finished_at) the finished index's.
    if (filter.status === 'pending') where.push(isPending(d.status));
    else if (filter.status !== undefined) where.push(eq(d.status, filter.status), isNotNull(d.finishedAt));
    if (filter.after !== undefined) where.push(gt(d.id, filter.after));
    const rows = await this.joined()
      .where(where.length ? and(...where) : undefined)
      .orderBy(asc(d.id))
      .limit(filter.limit);
    return rows.map((r) => toDelivery(r, now));
  }

  async get(id: number, now: number): Promise<Delivery | null> {
    const [row] = await this.joined().where(eq(this.t.deliveries.id, id));
    return row ? toDelivery(row, now) : null;
  }

  async attempts(deliveryId: number): Promise<Attempt[]> {
    const a = this.t.attempts;
    const rows = await this.db.select().from(a).where(eq(a.deliveryId, deliveryId)).orderBy(asc(a.id));
    return rows.map((r) => ({
      id: r.id,
      deliveryId: r.deliveryId,
      attempt: r.attempt,
      startedAt: iso(r.startedAt) as string,
      durationMs: r.durationMs,
      outcome: r.outcome,
      status: r.status ?? null,
      error: r.error ?? null,
      responseExcerpt: r.responseExcerpt ?? null,
    }));
  }
}
