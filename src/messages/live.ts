import type { Tx } from '../storage/storage.ts';
import type { Message } from './types.ts';

/** Hands each message to this node's realtime plugins (the bus's `message.sent`). */
export type LiveSink = (message: Message) => void;

/**
 * The path from a commit to this node's realtime plugins (`message.sent`).
 *
 * Contract: `message.sent` is published exactly once per message on every node,
 * in increasing id order, whichever node committed it; `published()` is the highest
 * id published so far. A single hub publishes its own commits directly
 * (`LocalLivePath`); a node of a cluster runs them, and every other node's, through
 * the ordered feed (src/cluster/live-feed.ts), so there is one ordering rule.
 */
export interface LivePath {
  /** Whether other nodes may commit to the same log (a PostgreSQL store). */
  readonly clustered: boolean;
  /** Starts publishing to `sink` after the store's last id; resolves once live. */
  start(sink: LiveSink): Promise<void>;
  /** Runs inside the commit transaction, after the insert (a NOTIFY that commits with the batch). */
  inCommit?(tx: Tx, messages: readonly Message[]): Promise<void>;
  /**
   * What `inCommit` announces, for a store that can fold it into the insert itself
   * (PostgreSQL: the insert statement also NOTIFYs this channel with the batch's
   * `first:last` ids). Then a batch with nothing else to write commits as one
   * statement and is still announced exactly when it commits.
   */
  readonly announceChannel?: string;
  /** This node committed `messages` (ascending ids, one transaction): publish them. */
  committed(messages: readonly Message[]): void;
  /** The highest id published as `message.sent` on this node. */
  published(): number;
  /** Resolves once `published()` has reached `id` (at once when it has). */
  settled(id: number): Promise<void>;
  /** Stops publishing and releases connections. */
  close(): Promise<void>;
}

/** Waiters for `settled`: resolved in id order as the published id climbs. */
export class SettleWaiters {
  private waiters: Array<{ id: number; resolve(): void }> = [];

  wait(id: number, published: number): Promise<void> {
    if (id <= published) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  /** Resolves the waiters at or below `published`. */
  reached(published: number): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.id <= published) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Lets every waiter go (shutdown): they re-check and find the connection closed. */
  releaseAll(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }
}

/**
 * The single-hub path (SQLite): this node is the only writer, its group commit
 * runs one transaction at a time, so its commits are already in id order and are
 * published as they commit, with no broker and no extra read.
 */
export class LocalLivePath implements LivePath {
  readonly clustered = false;
  private sink: LiveSink = () => {};
  private last = 0;
  private readonly waiters = new SettleWaiters();

  constructor(private readonly lastId: () => Promise<number>) {}

  async start(sink: LiveSink): Promise<void> {
    this.sink = sink;
    this.last = Math.max(this.last, await this.lastId());
  }

  committed(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.id > this.last) this.last = message.id;
      this.sink(message);
    }
    this.waiters.reached(this.last);
  }

  published(): number {
    return this.last;
  }

  settled(id: number): Promise<void> {
    return this.waiters.wait(id, this.last);
  }

  async close(): Promise<void> {
    this.sink = () => {};
    this.waiters.releaseAll();
  }
}
