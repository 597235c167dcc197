import { setImmediate } from 'node:timers';
import { and, asc, eq, inArray, lte, min, notExists } from 'drizzle-orm';
import type { Clock } from '../../src/kernel/clock.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { SqliteDatabase } from '../../src/runtime/types.ts';
import type { EndpointStore } from './endpoints.ts';
import type { WebhooksOptions } from './options.ts';
import { webhookAttempts, webhookDeliveries, webhookEvents } from './schema.ts';

const DAY_MS = 86_400_000;

export interface PruneCounts {
  attempts: number;
  deliveries: number;
  events: number;
}

/**
 * Keeps the webhook tables bounded: attempts, delivered and failed deliveries past
 * their retention, and events no delivery refers to any more, removed in batches of
 * `batchSize` rows so one pass never blocks the hub for long. Expired secrets from
 * rotations are cleared on the way.
 *
 * Passes are timed by what is stored: after each one, a timer is set for when the
 * oldest remaining row expires (at least `intervalMs` later), and newly recorded rows
 * make sure one is set. With nothing stored there is no timer at all.
 */
export class Pruner {
  private timer: { at: number; cancel: () => void } | null = null;
  private lastPass = Number.NEGATIVE_INFINITY;
  private running = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly endpoints: EndpointStore,
    private readonly options: WebhooksOptions['retention'],
  ) {}

  start(): void {
    this.running = true;
    this.pass();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Rows were recorded that will expire: a pass is due by the time the first of them can. */
  touch(): void {
    const { attemptDays, deliveredDays, failedDays } = this.options;
    this.schedule(this.clock.now() + Math.min(attemptDays, deliveredDays, failedDays) * DAY_MS);
  }

  private schedule(at: number): void {
    if (!this.running) return;
    const when = Math.max(at, this.lastPass + this.options.intervalMs);
    if (this.timer && this.timer.at <= when) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.pass();
      },
      Math.max(0, when - this.clock.now()),
    );
    this.timer = { at: when, cancel };
  }

  /** One pass; when a batch came back full, another follows on the next tick, else the next expiry is awaited. */
  private pass(): void {
    if (!this.running) return;
    this.lastPass = this.clock.now();
    try {
      const counts = this.prune();
      const { batchSize } = this.options;
      if (counts.attempts >= batchSize || counts.deliveries >= batchSize || counts.events >= batchSize) {
        setImmediate(() => this.pass());
        return;
      }
      const next = this.nextExpiry();
      if (next !== null) this.schedule(next);
    } catch (err) {
      this.log.error({ err }, 'webhook retention failed');
      this.schedule(this.clock.now() + this.options.intervalMs);
    }
  }

  /** When the oldest stored row (or rotated secret) passes its retention, or null when nothing is stored. */
  private nextExpiry(): number | null {
    const { attemptDays, deliveredDays, failedDays } = this.options;
    const times: number[] = [];
    const head = this.db
      .select({ at: webhookAttempts.startedAt })
      .from(webhookAttempts)
      .orderBy(asc(webhookAttempts.id))
      .limit(1)
      .get();
    if (head) times.push(head.at + attemptDays * DAY_MS);
    for (const [status, days] of [
      ['delivered', deliveredDays],
      ['failed', failedDays],
    ] as const) {
      const row = this.db
        .select({ at: min(webhookDeliveries.finishedAt) })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, status))
        .get();
      if (row?.at != null) times.push(row.at + days * DAY_MS);
    }
    for (const endpoint of this.endpoints.all()) {
      const expires = endpoint.row.previousSecretExpiresAt;
      if (expires !== null) times.push(expires);
    }
    return times.length ? Math.min(...times) : null;
  }

  /** Deletes at most one batch of each kind; returns what it deleted. */
  prune(): PruneCounts {
    const now = this.clock.now();
    const { batchSize, attemptDays, deliveredDays, failedDays } = this.options;
    this.clearExpiredSecrets(now);

    // Attempts are written in time order: prune from the head while the head is old.
    const head = this.db
      .select({ id: webhookAttempts.id })
      .from(webhookAttempts)
      .orderBy(asc(webhookAttempts.id))
      .limit(batchSize);
    const attempts = this.db
      .delete(webhookAttempts)
      .where(and(inArray(webhookAttempts.id, head), lte(webhookAttempts.startedAt, now - attemptDays * DAY_MS)))
      .returning({ id: webhookAttempts.id })
      .all().length;

    let deliveries = 0;
    for (const [status, days] of [
      ['delivered', deliveredDays],
      ['failed', failedDays],
    ] as const) {
      const old = this.db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.status, status), lte(webhookDeliveries.finishedAt, now - days * DAY_MS)))
        .limit(batchSize);
      // Their attempts go with them (ON DELETE CASCADE).
      deliveries += this.db
        .delete(webhookDeliveries)
        .where(inArray(webhookDeliveries.id, old))
        .returning({ id: webhookDeliveries.id })
        .all().length;
    }

    const orphans = this.db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(
        and(
          lte(webhookEvents.createdAt, now - Math.min(deliveredDays, failedDays) * DAY_MS),
          notExists(
            this.db
              .select({ one: webhookDeliveries.id })
              .from(webhookDeliveries)
              .where(eq(webhookDeliveries.eventId, webhookEvents.id)),
          ),
        ),
      )
      .limit(batchSize);
    const events = this.db
      .delete(webhookEvents)
      .where(inArray(webhookEvents.id, orphans))
      .returning({ id: webhookEvents.id })
      .all().length;

    if (attempts || deliveries || events) this.log.debug({ attempts, deliveries, events }, 'webhook retention pruned');
    return { attempts, deliveries, events };
  }

  private clearExpiredSecrets(now: number): void {
    for (const endpoint of this.endpoints.all()) {
      const expires = endpoint.row.previousSecretExpiresAt;
      if (expires !== null && expires <= now) {
        this.endpoints.update(endpoint.id, { previousSecret: null, previousSecretExpiresAt: null });
      }
    }
  }
}
