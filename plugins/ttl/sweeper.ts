import { cpuUsage } from 'node:process';
import { setImmediate } from 'node:timers';
import {
  type Clock,
  type EventBus,
  HubError,
  type Logger,
  type PluginStorage,
  type Retention,
} from '../../src/index.ts';
import type { Archive } from './archive.ts';
import type { TtlMetrics } from './metrics.ts';
import type { TtlOptions } from './options.ts';

/** Smallest batch the sweeper shrinks to when batches run slow. */
const MIN_BATCH = 16;
/** The longest pause between two batches while the hub is busy. */
const MAX_PACING_MS = 100;
/** Batches whose cost per row the estimate takes the median of. */
const COST_SAMPLES = 9;
/** Other work of at least this much during a yield means the hub is busy serving. */
const BUSY_WORK_MS = 0.2;
/** How long one batch may hold the event loop while the hub is busy. */
const BUSY_BATCH_MS = 2.5;
/** Milliseconds of pause per millisecond of other work the hub did during a yield. */
const PACING_PER_MS_OF_WORK = 8;
/** Pauses shorter than this are skipped (timers are not that precise). */
const MIN_PACING_MS = 1;

export interface SweeperDeps {
  /** The plugin's store (the archive table). */
  storage: PluginStorage;
  clock: Clock;
  /** The message core's retention: the sweeper never writes `messages` itself. */
  retention: Retention;
  bus: EventBus;
  log: Logger;
  archive: Archive;
  metrics: TtlMetrics;
  options: TtlOptions['sweeper'];
  /** Whether this node leads the sweeper singleton: followers skip their sweeps (the leader's cover the database). */
  leads(): boolean;
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
 * Batch sizes follow the measured cost per row to stay near `targetBatchMs`; while
 * the hub is busy serving, batches shrink and the sweeper paces itself to about a
 * quarter of the loop.
 */
export class Sweeper {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private cancelTimer: (() => void) | null = null;
  private limit: number;
  private msPerRow: number | null = null;
  private readonly samples: number[] = [];
  private lastBatchMs = 0;
  private budgetMs: number;
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
    this.budgetMs = deps.options.targetBatchMs;
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
      if (!this.deps.leads()) return;
      await this.sweep();
    } while (this.again && !this.stopped);
  }

  private async sweep(): Promise<void> {
    const started = performance.now();
    try {
      this.budgetMs = this.deps.options.targetBatchMs;
      this.resize();
      while (!this.stopped && (await this.expireBatch())) await this.pause();
      while (!this.stopped && (await this.pruneBatch())) await this.pause();
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
  private async expireBatch(): Promise<boolean> {
    const { retention, clock, archive, metrics } = this.deps;
    const now = clock.now();
    const limit = this.limit;
    const started = performance.now();
    let archived = { table: 0, file: 0 };
    // One transaction in the core: delete, archive (with whole rows), raise the horizon.
    const rows = await retention.expire(now, limit, {
      whole: archive.enabled,
      ...(archive.enabled
        ? {
            inside: async (tx, deleted) => {
              archived = await archive.write(tx, deleted, now);
            },
          }
        : {}),
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
    this.learn(ms, rows.length);
    this.lastBatchMs = ms;
    return rows.length === limit;
  }

  /** Prunes one batch of the archive table past its retention; returns whether a full batch went. */
  private async pruneBatch(): Promise<boolean> {
    if (!this.deps.archive.enabled) return false;
    const limit = this.limit;
    const started = performance.now();
    const pruned = await this.deps.archive.prune(this.deps.storage.db, this.deps.clock.now(), limit);
    this.lastBatchMs = performance.now() - started;
    if (pruned) {
      this.stats.pruned += pruned;
      this.deps.metrics.pruned.inc(pruned);
    }
    return pruned === limit;
  }

  /**
   * Yields to the event loop and measures the work the rest of the hub did meanwhile
   * (the smaller of wall and CPU time, so neither the OS preempting the process nor a
   * GC thread counts). An idle hub gets the next batch at once, sized to
   * `targetBatchMs`. A hub busy serving gets short batches (a request that arrives
   * during one waits little) and a pause in proportion to its work, up to three
   * times the last batch, so the sweeper takes at most about a quarter of the loop.
   */
  private async pause(): Promise<void> {
    const before = cpuUsage();
    const started = performance.now();
    await yieldToEventLoop();
    const used = cpuUsage(before);
    const away = Math.min(performance.now() - started, (used.user + used.system) / 1000);
    const busy = away >= BUSY_WORK_MS;
    this.budgetMs = busy ? Math.min(BUSY_BATCH_MS, this.deps.options.targetBatchMs) : this.deps.options.targetBatchMs;
    this.resize();
    const rest = Math.min(this.lastBatchMs * 3, away * PACING_PER_MS_OF_WORK, MAX_PACING_MS);
    if (busy && rest >= MIN_PACING_MS && !this.stopped) await pacing(rest);
  }

  /**
   * Estimates the cost per row as the median of the last batches: the occasional
   * slow batch (a WAL checkpoint's fsync, a preempted process) does not move it, rows
   * that are steadily expensive (large payloads being archived) do.
   */
  private learn(ms: number, rows: number): void {
    if (rows < Math.min(MIN_BATCH, this.deps.options.batchSize)) return;
    this.samples.push(ms / rows);
    if (this.samples.length > COST_SAMPLES) this.samples.shift();
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.msPerRow = sorted[sorted.length >> 1];
    this.resize();
  }

  /** Sizes the next batch to take about the current budget, within [MIN_BATCH, batchSize]. */
  private resize(): void {
    const { batchSize } = this.deps.options;
    const fits = this.msPerRow === null ? batchSize : Math.floor(this.budgetMs / this.msPerRow);
    this.limit = Math.max(Math.min(MIN_BATCH, batchSize), Math.min(batchSize, fits));
  }
}

/** Lets pending I/O and timers run between two batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Leaves the event loop to the hub for `ms` of real time. Pacing, not a schedule:
 * it only happens while requests are being served, so it uses the runtime's timer
 * rather than the hub's clock (a ManualClock would never let it end).
 */
function pacing(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
