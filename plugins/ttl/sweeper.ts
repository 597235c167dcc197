import { setImmediate } from 'node:timers';
import { asc, inArray, lte } from 'drizzle-orm';
import {
  type Clock,
  type EventBus,
  HubError,
  type Logger,
  type MessageService,
  messagesTable as messages,
  type SqliteDatabase,
} from '../../src/index.ts';
import type { Archive, ExpiredRow } from './archive.ts';
import type { TtlMetrics } from './metrics.ts';
import type { TtlOptions } from './options.ts';

/** Smallest batch the sweeper shrinks to when batches run slow. */
const MIN_BATCH = 16;
/** Weight of the newest batch in the moving average of the cost per row. */
const EWMA_WEIGHT = 0.2;

export interface SweeperDeps {
  db: SqliteDatabase;
  clock: Clock;
  messages: MessageService;
  bus: EventBus;
  log: Logger;
  archive: Archive;
  metrics: TtlMetrics;
  options: TtlOptions['sweeper'];
}

/** What the sweeper has done since the instance started. */
export interface SweeperStats {
  expired: number;
  archived: number;
  pruned: number;
  sweeps: number;
  running: boolean;
  /** The batch size the sweeper currently uses (adapted to `targetBatchMs`). */
  batchSize: number;
  lastSweepAt: number | null;
  lastSweepMs: number | null;
  lastError: string | null;
}

/**
 * The background worker that deletes expired messages. Every `intervalMs` of the
 * hub's clock (or at once when kicked) it deletes due rows through the
 * `expires_at` index in batches: one short transaction per batch that archives the
 * rows, deletes them and advances the retention horizon, then publishes one
 * `message.expired` event and yields to the event loop before the next batch.
 * Batch sizes follow the measured cost per row to stay near `targetBatchMs`.
 */
export class Sweeper {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private cancelTimer: (() => void) | null = null;
  private limit: number;
  private msPerRow: number | null = null;
  private readonly stats = {
    expired: 0,
    archived: 0,
    pruned: 0,
    sweeps: 0,
    lastSweepAt: null as number | null,
    lastSweepMs: null as number | null,
    lastError: null as string | null,
  };

  constructor(private readonly deps: SweeperDeps) {
    this.limit = deps.options.batchSize;
  }

  start(): void {
    this.cancelTimer = this.deps.clock.setInterval(() => this.kick(), this.deps.options.intervalMs);
  }

  /** Sweeps as soon as possible (once more after the current sweep when one is running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  /** Stops the timer and waits for the batch in flight; the sweep ends at the next batch boundary. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.running;
  }

  snapshot(): SweeperStats {
    return { ...this.stats, running: this.running !== null, batchSize: this.limit };
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      await this.sweep();
    } while (this.again && !this.stopped);
  }

  private async sweep(): Promise<void> {
    const started = performance.now();
    try {
      while (!this.stopped && this.expireBatch()) await yieldToEventLoop();
      while (!this.stopped && this.pruneBatch()) await yieldToEventLoop();
      this.stats.lastError = null;
    } catch (err) {
      this.stats.lastError = (err as Error).message ?? String(err);
      this.deps.metrics.errors.inc();
      this.deps.log.error({ err }, 'ttl sweep failed; the rows stay and the next sweep retries');
      this.deps.bus.publish('error.occurred', {
        source: 'ttl',
        code: err instanceof HubError ? err.code : 'RELAYKIT_ERR_TTL_SWEEP_FAILED',
        message: `TTL sweep failed: ${this.stats.lastError}`,
        at: new Date(this.deps.clock.now()).toISOString(),
      });
    } finally {
      const ms = performance.now() - started;
      this.deps.metrics.sweepDuration.observe(ms / 1000);
      this.stats.sweeps++;
      this.stats.lastSweepAt = this.deps.clock.now();
      this.stats.lastSweepMs = Number(ms.toFixed(3));
    }
  }

  /** Deletes one batch of due messages; returns whether a full batch was deleted (more may be due). */
  private expireBatch(): boolean {
    const { db, clock, archive, metrics } = this.deps;
    const now = clock.now();
    const limit = this.limit;
    const started = performance.now();
    let archived = { table: 0, file: 0 };
    const rows = db.transaction((tx) => {
      const due = tx
        .select({ id: messages.id })
        .from(messages)
        .where(lte(messages.expiresAt, now))
        .orderBy(asc(messages.expiresAt))
        .limit(limit);
      const deleted: Pick<ExpiredRow, 'id' | 'type'>[] = archive.enabled
        ? tx.delete(messages).where(inArray(messages.id, due)).returning().all()
        : tx
            .delete(messages)
            .where(inArray(messages.id, due))
            .returning({ id: messages.id, type: messages.type })
            .all();
      if (!deleted.length) return deleted;
      if (archive.enabled) archived = archive.write(tx, deleted as ExpiredRow[], now);
      let maxId = 0;
      for (const row of deleted) if (row.id > maxId) maxId = row.id;
      this.deps.messages.advanceHorizon(maxId, tx);
      return deleted;
    });
    const ms = performance.now() - started;
    if (!rows.length) return false;

    this.stats.expired += rows.length;
    this.stats.archived += Math.max(archived.table, archived.file);
    metrics.expired.inc(rows.length);
    if (archived.table) metrics.archived.inc({ target: 'table' }, archived.table);
    if (archived.file) metrics.archived.inc({ target: 'file' }, archived.file);
    metrics.batchSize.observe(rows.length);
    metrics.batchDuration.observe(ms / 1000);
    this.deps.bus.publish('message.expired', {
      ids: rows.map((r) => r.id),
      types: rows.map((r) => r.type),
      archived: archive.enabled,
      at: new Date(now).toISOString(),
    });
    this.adapt(ms, rows.length, limit);
    return rows.length === limit;
  }

  /** Prunes one batch of the archive table past its retention; returns whether a full batch went. */
  private pruneBatch(): boolean {
    if (!this.deps.archive.enabled) return false;
    const limit = this.limit;
    const pruned = this.deps.archive.prune(this.deps.db, this.deps.clock.now(), limit);
    if (pruned) {
      this.stats.pruned += pruned;
      this.deps.metrics.pruned.inc(pruned);
    }
    return pruned === limit;
  }

  /**
   * Sizes the next batch so it should take about `targetBatchMs`, from a moving
   * average of the cost per row of full batches: one slow batch (a checkpoint, a
   * preempted process) barely moves it, rows that are steadily expensive (large
   * payloads being archived) shrink the batches.
   */
  private adapt(ms: number, rows: number, limit: number): void {
    if (rows < limit) return;
    const perRow = ms / rows;
    this.msPerRow = this.msPerRow === null ? perRow : this.msPerRow * (1 - EWMA_WEIGHT) + perRow * EWMA_WEIGHT;
    const { targetBatchMs, batchSize } = this.deps.options;
    const fits = Math.floor(targetBatchMs / this.msPerRow);
    this.limit = Math.max(Math.min(MIN_BATCH, batchSize), Math.min(batchSize, fits));
  }
}

/** Lets pending I/O and timers run between two batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
