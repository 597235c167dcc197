import { setImmediate } from 'node:timers';
import { and, asc, eq, inArray, isNotNull, lte, min, notExists } from 'drizzle-orm';
import type { Clock } from '../../src/kernel/clock.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { Database } from '../../src/storage/storage.ts';
import type { EndpointStore } from './endpoints.ts';
import type { WebhooksOptions } from './options.ts';
import type { WebhookTables } from './tables.ts';

const DAY_MS = 86_400_000;

/**
 * How long after the plugin starts its first pass runs (on the hub's clock): the
 * catch-up on rows that expired while the hub was down waits until the hub serves,
 * instead of building and running its statements on the way to ready.
 */
export const FIRST_PASS_DELAY_MS = 1000;

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
  /** Cancels the first pass, due FIRST_PASS_DELAY_MS after `start`. */
  private firstPass: (() => void) | null = null;
  /** The pass in progress, awaited by `stop` (the store closes after the plugins). */
  private current: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly t: WebhookTables,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly endpoints: EndpointStore,
    private readonly options: WebhooksOptions['retention'],
    /** Whether this node leads retention (one node prunes a shared database); passes on other nodes do nothing. */
    private readonly leads: () => boolean = () => true,
  ) {}

  start(): void {
    this.running = true;
    this.firstPass = this.clock.setTimeout(() => {
      this.firstPass = null;
      this.run();
    }, FIRST_PASS_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.firstPass?.();
    this.firstPass = null;
    this.timer?.cancel();
    this.timer = null;
    while (this.current) await this.current;
  }

  private run(): void {
    if (this.current) return;
    this.current = this.pass().finally(() => {
      this.current = null;
    });
  }

  /** This node became the retention leader: a pass now (or the first one, when still due), which schedules the next ones. */
  lead(): void {
    if (this.running && !this.firstPass) this.run();
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
        this.run();
      },
      Math.max(0, when - this.clock.now()),
    );
    this.timer = { at: when, cancel };
  }

  /** One pass; when a batch came back full, another follows on the next tick, else the next expiry is awaited. */
  private async pass(): Promise<void> {
    // A follower stays idle; the leader's passes cover the shared tables, and `lead` starts this node's when it takes over.
    if (!this.running || !this.leads()) return;
    this.lastPass = this.clock.now();
    try {
      const counts = await this.prune();
      const { batchSize } = this.options;
      if (counts.attempts >= batchSize || counts.deliveries >= batchSize || counts.events >= batchSize) {
        setImmediate(() => this.run());
        return;
      }
      const next = await this.nextExpiry();
      if (next !== null) this.schedule(next);
    } catch (err) {
      this.log.error({ err }, 'webhook retention failed');
      this.schedule(this.clock.now() + this.options.intervalMs);
    }
  }

  /** When the oldest stored row (or rotated secret) passes its retention, or null when nothing is stored. */
  private async nextExpiry(): Promise<number | null> {
    const { attemptDays, deliveredDays, failedDays } = this.options;
    const { attempts, deliveries } = this.t;
    const times: number[] = [];
    const [head] = await this.db.select({ at: attempts.startedAt }).from(attempts).orderBy(asc(attempts.id)).limit(1);
    if (head) times.push(Number(head.at) + attemptDays * DAY_MS);
    for (const [status, days] of [
      ['delivered', deliveredDays],
      ['failed', failedDays],
    ] as const) {
      const [row] = await this.db
        .select({ at: min(deliveries.finishedAt) })
        .from(deliveries)
        // Names the finished index's condition: it holds only settled rows.
        .where(and(eq(deliveries.status, status), isNotNull(deliveries.finishedAt)));
      if (row?.at != null) times.push(Number(row.at) + days * DAY_MS);
    }
    for (const endpoint of this.endpoints.all()) {
      const expires = endpoint.row.previousSecretExpiresAt;
      if (expires !== null) times.push(expires);
    }
    return times.length ? Math.min(...times) : null;
  }

  /** Deletes at most one batch of each kind; returns what it deleted. */
  async prune(): Promise<PruneCounts> {
    const now = this.clock.now();
    const { batchSize, attemptDays, deliveredDays, failedDays } = this.options;
    const { attempts: a, deliveries: d, events: e } = this.t;
    await this.clearExpiredSecrets(now);

    // Attempts are written in time order: prune from the head while the head is old.
    const head = this.db.select({ id: a.id }).from(a).orderBy(asc(a.id)).limit(batchSize);
    const attempts = (
      await this.db
        .delete(a)
        .where(and(inArray(a.id, head), lte(a.startedAt, now - attemptDays * DAY_MS)))
        .returning({ id: a.id })
    ).length;

    let deliveries = 0;
    for (const [status, days] of [
      ['delivered', deliveredDays],
      ['failed', failedDays],
    ] as const) {
      const old = this.db
        .select({ id: d.id })
        .from(d)
        .where(and(eq(d.status, status), lte(d.finishedAt, now - days * DAY_MS)))
        .limit(batchSize);
      // Their attempts go with them (ON DELETE CASCADE).
      deliveries += (await this.db.delete(d).where(inArray(d.id, old)).returning({ id: d.id })).length;
    }

    const orphans = this.db
      .select({ id: e.id })
      .from(e)
      .where(
        and(
          lte(e.createdAt, now - Math.min(deliveredDays, failedDays) * DAY_MS),
          notExists(this.db.select({ one: d.id }).from(d).where(eq(d.eventId, e.id))),
        ),
      )
      .limit(batchSize);
    const events = (await this.db.delete(e).where(inArray(e.id, orphans)).returning({ id: e.id })).length;

    if (attempts || deliveries || events) this.log.debug({ attempts, deliveries, events }, 'webhook retention pruned');
    return { attempts, deliveries, events };
  }

  private async clearExpiredSecrets(now: number): Promise<void> {
    for (const endpoint of this.endpoints.all()) {
      const expires = endpoint.row.previousSecretExpiresAt;
      if (expires !== null && expires <= now) {
        await this.endpoints.update(endpoint.id, { previousSecret: null, previousSecretExpiresAt: null });
      }
    }
  }
}
