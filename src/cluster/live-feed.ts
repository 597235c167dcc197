import { type Clock, within } from '../kernel/clock.ts';
import { type LivePath, type LiveSink, SettleWaiters } from '../messages/live.ts';
import type { Message } from '../messages/types.ts';
import type { Tx } from '../storage/storage.ts';
import type { Broker, BrokerBatch } from './broker.ts';
import { OrderedFeed, type OrderedFeedStats } from './ordered-feed.ts';

export interface ClusterLivePathOptions {
  broker: Broker;
  /**
   * Announces a commit inside its transaction instead of publishing after it (the
   * PostgreSQL broker's NOTIFY): then no commit can go unannounced. Unset: the batch
   * is published on the broker once committed.
   */
  announce?(tx: Tx, batch: BrokerBatch): Promise<void>;
  /** The NOTIFY channel `announce` uses, so a batch committed as one statement is announced by it. */
  announceChannel?: string;
  /** The store's messages with `afterId < id <= uptoId`, in id order (gap reads). */
  readRange(afterId: number, uptoId: number): Promise<Message[]>;
  /** The store's last committed id (the start point and the periodic check). */
  lastId(): Promise<number>;
  /** `cluster.holdMs` and `cluster.checkEveryMs`. */
  holdMs: number;
  checkEveryMs: number;
  clock: Clock;
  /** Failed gap reads and checks (retried by the feed). */
  onFeedError(error: unknown): void;
  /** A publish the broker refused: the batch reaches other nodes through their gap reads instead. */
  onPublishError(error: unknown): void;
}

/**
 * The live path of a cluster node: every node's commits, its own included, go
 * through one OrderedFeed, so `message.sent` is published in id order, once, on
 * every node. The node's own commits enter the feed directly (no round trip
 * through the broker; they are published at once when nothing below them is
 * missing) and are announced to the other nodes through the broker.
 */
export class ClusterLivePath implements LivePath {
  readonly clustered = true;
  private feed: OrderedFeed<Message> | null = null;
  private unsubscribe: () => void = () => {};
  private readonly waiters = new SettleWaiters();
  private last = 0;
  private closed = false;

  constructor(private readonly options: ClusterLivePathOptions) {}

  get announceChannel(): string | undefined {
    return this.options.announceChannel;
  }

  get broker(): Broker {
    return this.options.broker;
  }

  async start(sink: LiveSink): Promise<void> {
    const { broker } = this.options;
    // Listen first and keep what arrives while the start point is read: nothing falls between.
    const early: BrokerBatch[] = [];
    this.unsubscribe = broker.subscribe((batch) => (this.feed ? this.feed.push(batch) : early.push(batch)));
    await broker.ready();
    const startAfter = await this.options.lastId();
    this.last = startAfter;
    this.feed = new OrderedFeed<Message>({
      startAfter,
      readRange: this.options.readRange,
      lastId: this.options.lastId,
      holdMs: this.options.holdMs,
      checkEveryMs: this.options.checkEveryMs,
      clock: this.options.clock,
      onError: this.options.onFeedError,
      deliver: (run) => {
        for (const message of run) {
          this.last = message.id;
          sink(message);
        }
        this.waiters.reached(this.last);
      },
    });
    for (const batch of early) this.feed.push(batch);
  }

  async inCommit(tx: Tx, messages: readonly Message[]): Promise<void> {
    if (this.options.announce && messages.length) await this.options.announce(tx, batchOf(messages));
  }

  committed(messages: readonly Message[]): void {
    if (!messages.length || this.closed) return;
    const batch = batchOf(messages);
    this.feed?.push(batch);
    if (!this.options.announce) this.options.broker.publish(batch).catch(this.options.onPublishError);
  }

  published(): number {
    return this.last;
  }

  settled(id: number): Promise<void> {
    if (id <= this.last) return Promise.resolve();
    // Ids retention deleted before a gap read are skipped without a delivery: re-check at the hold interval.
    return within(this.options.clock, this.waiters.wait(id, this.last), this.options.holdMs * 4);
  }

  /** What keeping the order cost so far (gap reads, hold time), for metrics. */
  stats(): OrderedFeedStats | null {
    return this.feed?.stats() ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.feed?.close();
    this.waiters.releaseAll();
    await this.options.broker.close();
  }
}

function batchOf(messages: readonly Message[]): BrokerBatch {
  return { lastId: messages[messages.length - 1].id, messages };
}
