import { type SQL, sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { Message } from '../messages/types.ts';
import {
  type Broker,
  type BrokerBatch,
  BrokerClosedError,
  type BrokerErrorHandler,
  type BrokerHandler,
  BrokerHandlers,
  logBrokerError,
} from './broker.ts';

/** The messages with `afterId < id <= uptoId` that still exist, in id order (the store's read). */
export type ReadRange = (afterId: number, uptoId: number) => Promise<Message[]>;

export interface PostgresBrokerOptions {
  /** The store's postgres-js pool; the broker LISTENs on it (postgres-js keeps one extra connection for that). */
  client: Sql;
  /** Reads a committed batch back, since a NOTIFY carries only its ids. */
  readRange: ReadRange;
  /** The NOTIFY channel; nodes sharing a database share it. Default `relaykit_feed`. */
  channel?: string;
  /**
   * The highest id this node already has (its feed's position): the part of a
   * notified range at or below it is not read again (a node's own commits). Default 0.
   */
  delivered?(): number;
  onError?: BrokerErrorHandler;
}

/** The NOTIFY payload: `first:last` for a batch, `:last` for a wake-up. Far below the 8000-byte limit. */
export function notifyPayload(batch: BrokerBatch): string {
  const first = batch.messages[0]?.id;
  return `${first ?? ''}:${batch.lastId}`;
}

/**
 * The statement to run inside the commit transaction instead of `publish`:
 * Postgres delivers a NOTIFY only if its transaction commits, and in commit
 * order, so no commit can be left unannounced by a crash between commit and
 * publish. Use with Drizzle: `await tx.execute(notifyStatement(batch))`.
 */
export function notifyStatement(batch: BrokerBatch, channel = 'relaykit_feed'): SQL {
  return sql`select pg_notify(${channel}, ${notifyPayload(batch)})`;
}

/**
 * The broker that needs nothing but the database: a NOTIFY per commit carrying
 * the batch's first and last id (payloads are limited to 8000 bytes, so never
 * the messages), then each receiving node reads that range from the store.
 * Receivers emit in notification order, one read at a time. When the read
 * fails, a wake-up (`messages: []`) is emitted instead, so the ordered feed
 * still learns that ids up to `lastId` exist and reads them itself later.
 */
export class PostgresBroker implements Broker {
  readonly kind = 'postgres';
  readonly channel: string;
  private readonly handlers: BrokerHandlers;
  private readonly onError: BrokerErrorHandler;
  private readonly listening: Promise<{ unlisten(): Promise<void> }>;
  /** Reads chained so batches are emitted in the order their notifications arrived. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: PostgresBrokerOptions) {
    this.onError = options.onError ?? logBrokerError;
    this.handlers = new BrokerHandlers(this.onError);
    this.channel = options.channel ?? 'relaykit_feed';
    this.listening = options.client.listen(this.channel, (payload) => this.received(payload));
    this.listening.catch(() => {});
  }

  /** A NOTIFY in its own autocommit statement. Prefer `notifyStatement` inside the commit transaction. */
  async publish(batch: BrokerBatch): Promise<void> {
    if (this.closed) throw new BrokerClosedError(this.kind);
    await this.options.client.notify(this.channel, notifyPayload(batch));
  }

  subscribe(handler: BrokerHandler): () => void {
    return this.handlers.add(handler);
  }

  async ready(): Promise<void> {
    await this.listening;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const meta = await this.listening.catch(() => null);
    await meta?.unlisten().catch(() => {});
    await this.queue;
  }

  private received(payload: string): void {
    const match = /^(\d*):(\d+)$/.exec(payload);
    if (!match) {
      this.onError(new Error(`Unreadable NOTIFY payload on ${this.channel}: ${payload.slice(0, 100)}`));
      return;
    }
    const lastId = Number(match[2]);
    const first = match[1] ? Number(match[1]) : null;
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      let messages: Message[] = [];
      const have = this.options.delivered?.() ?? 0;
      // Already delivered here (this node's own commit): nothing to read or to tell.
      if (lastId <= have) return;
      if (first !== null) {
        try {
          messages = await this.options.readRange(Math.max(first - 1, have), lastId);
        } catch (err) {
          this.onError(err);
        }
      }
      if (!this.closed) this.handlers.emit({ lastId, messages });
    });
  }
}
