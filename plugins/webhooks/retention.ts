import { setImmediate } from 'node:timers';
import { and, asc, eq, inArray, lt, notExists } from 'drizzle-orm';
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
 */
export class Pruner {
  private cancelInterval: (() => void) | null = null;
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
    this.cancelInterval = this.clock.setInterval(() => this.pass(), this.options.intervalMs);
  }

  stop(): void {
    this.running = false;
    this.cancelInterval?.();
  }

  /** One pass; when a batch came back full, another pass follows on the next tick. */
  private pass(): void {
    if (!this.running) return;
    try {
      const counts = this.prune();
      const { batchSize } = this.options;
      if (counts.attempts >= batchSize || counts.deliveries >= batchSize || counts.events >= batchSize) {
        setImmediate(() => this.pass());
      }
    } catch (err) {
      this.log.error({ err }, 'webhook retention failed');
    }
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
      .where(and(inArray(webhookAttempts.id, head), lt(webhookAttempts.startedAt, now - attemptDays * DAY_MS)))
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
        .where(and(eq(webhookDeliveries.status, status), lt(webhookDeliveries.finishedAt, now - days * DAY_MS)))
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
          lt(webhookEvents.createdAt, now - Math.min(deliveredDays, failedDays) * DAY_MS),
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
