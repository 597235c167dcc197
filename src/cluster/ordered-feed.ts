import { type Clock, systemClock } from '../kernel/clock.ts';

/**
 * The node rule: turns the broker's batches (lost, late, duplicated, out of
 * order) into the exact id sequence, using the store to fill holes.
 *
 * It relies on dense, commit-ordered ids (src/storage/postgres/ids.ts): when a
 * node sees id 12, every id up to 12 is already committed. So a hole below a
 * known id is never "not yet written", only "not yet received": the feed holds
 * what it has for `holdMs` in case the broker is merely late, then reads the
 * hole from the store. A periodic check of the store's last id catches messages
 * whose publish never arrived at all (a node killed between commit and publish).
 *
 * Guarantee: `deliver` sees every id above `startAfter` exactly once, in
 * increasing order, without gaps except for ids the store no longer holds
 * (retention deleted them) when they are read.
 */

/** One message's identity; the feed needs nothing else. */
export interface Identified {
  id: number;
}

/** What the feed is fed: one commit batch (see ./broker.ts). */
export interface FeedBatch<M extends Identified> {
  lastId: number;
  messages: readonly M[];
}

export interface OrderedFeedOptions<M extends Identified> {
  /** The last id already delivered (the resume point); the feed delivers from `startAfter + 1`. */
  startAfter: number;
  /** The store's messages with `afterId < id <= uptoId`, in id order. */
  readRange(afterId: number, uptoId: number): Promise<M[]>;
  /** The store's last committed id (the id counter). */
  lastId(): Promise<number>;
  /** Receives runs of consecutive messages, in order. A throw is reported and does not stop the feed. */
  deliver(messages: M[]): void;
  /** How long a message waits for the ones below it before the hole is read. Default 50 ms. */
  holdMs?: number;
  /** How often the store's last id is checked while running. Default 1000 ms; 0 disables it. */
  checkEveryMs?: number;
  /** Most ids read at once when filling a hole. Default 1000. */
  maxRead?: number;
  clock?: Clock;
  onError?(error: unknown): void;
}

/** Counters for metrics: what keeping the order costs. */
export interface OrderedFeedStats {
  /** The highest id delivered. */
  delivered: number;
  /** The highest id known to be committed. */
  known: number;
  /** Messages waiting for a hole below them. */
  held: number;
  /** Store reads made to fill holes (after a hold, a wake-up or a last-id check). */
  gapReads: number;
  /** Messages delivered from such reads rather than from the broker. */
  gapMessages: number;
  /** Messages (or whole batches) dropped because they were at or below `delivered`. */
  duplicates: number;
  /** Total and longest time a hole stayed open, in ms. */
  holdTimeMs: number;
  maxHoldMs: number;
  /** Store reads or last-id checks that failed (retried). */
  errors: number;
}

export class OrderedFeed<M extends Identified> {
  private delivered: number;
  private known: number;
  private readonly pending = new Map<number, M>();
  private readonly holdMs: number;
  private readonly maxRead: number;
  private readonly clock: Clock;
  /** When the current hole opened (null: no hole), and the timer that will read it. */
  private holeSince: number | null = null;
  private cancelHold: (() => void) | null = null;
  private cancelCheck: () => void = () => {};
  private reading = false;
  private closed = false;
  private readonly counters = { gapReads: 0, gapMessages: 0, duplicates: 0, holdTimeMs: 0, maxHoldMs: 0, errors: 0 };

  constructor(private readonly options: OrderedFeedOptions<M>) {
    this.delivered = options.startAfter;
    this.known = options.startAfter;
    this.holdMs = options.holdMs ?? 50;
    this.maxRead = options.maxRead ?? 1000;
    this.clock = options.clock ?? systemClock;
    const every = options.checkEveryMs ?? 1000;
    if (every > 0) this.cancelCheck = this.clock.setInterval(() => void this.check(), every);
  }

  /** Feeds one batch from the broker. An empty batch is a wake-up: the hole up to `lastId` is read at once. */
  push(batch: FeedBatch<M>): void {
    if (this.closed) return;
    if (batch.lastId <= this.delivered) {
      this.counters.duplicates += Math.max(1, batch.messages.length);
      return;
    }
    for (const message of batch.messages) {
      if (message.id <= this.delivered || this.pending.has(message.id)) this.counters.duplicates++;
      else this.pending.set(message.id, message);
    }
    this.known = Math.max(this.known, batch.lastId);
    this.flush();
    if (batch.messages.length === 0) void this.read();
    else this.arm();
  }

  /** Asks the store for its last id now (the periodic check calls this); a newer id opens a hole. */
  async check(): Promise<void> {
    if (this.closed) return;
    try {
      const last = await this.options.lastId();
      if (last > this.known) this.known = last;
      this.arm();
    } catch (err) {
      this.failed(err);
    }
  }

  stats(): OrderedFeedStats {
    return { delivered: this.delivered, known: this.known, held: this.pending.size, ...this.counters };
  }

  /** Stops timers and drops what is held; nothing is delivered after close. */
  close(): void {
    this.closed = true;
    this.cancelCheck();
    this.cancelHold?.();
    this.pending.clear();
  }

  /** Delivers the run of consecutive ids that starts right after `delivered`. */
  private flush(): void {
    const run: M[] = [];
    for (let next = this.pending.get(this.delivered + 1); next; next = this.pending.get(this.delivered + 1)) {
      this.pending.delete(next.id);
      this.delivered = next.id;
      run.push(next);
    }
    this.emit(run);
    if (this.delivered >= this.known) this.closeHole();
  }

  /** Starts the hold timer when something above `delivered` is known but missing. */
  private arm(): void {
    if (this.closed || this.known <= this.delivered) return;
    this.holeSince ??= this.clock.now();
    this.cancelHold ??= this.clock.setTimeout(() => {
      this.cancelHold = null;
      void this.read();
    }, this.holdMs);
  }

  /** Reads the hole `delivered < id <= known` from the store (one read at a time, in chunks of maxRead). */
  private async read(): Promise<void> {
    if (this.reading || this.closed) return;
    this.reading = true;
    try {
      while (!this.closed && this.known > this.delivered) {
        const upto = Math.min(this.known, this.delivered + this.maxRead);
        this.counters.gapReads++;
        const rows = await this.options.readRange(this.delivered, upto);
        if (this.closed) return;
        const run = rows.filter((m) => m.id > this.delivered && m.id <= upto);
        for (const m of run) if (!this.pending.delete(m.id)) this.counters.gapMessages++;
        // Ids up to `upto` are all committed: any the store lacks were deleted by retention, not late.
        for (const id of this.pending.keys()) if (id <= upto) this.pending.delete(id);
        this.delivered = Math.max(this.delivered, upto);
        this.emit(run);
        this.flush();
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.reading = false;
    }
    this.arm();
  }

  private emit(run: M[]): void {
    if (!run.length) return;
    try {
      this.options.deliver(run);
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private closeHole(): void {
    this.cancelHold?.();
    this.cancelHold = null;
    if (this.holeSince === null) return;
    const held = this.clock.now() - this.holeSince;
    this.holeSince = null;
    this.counters.holdTimeMs += held;
    this.counters.maxHoldMs = Math.max(this.counters.maxHoldMs, held);
  }

  private failed(err: unknown): void {
    this.counters.errors++;
    this.options.onError?.(err);
  }
}
