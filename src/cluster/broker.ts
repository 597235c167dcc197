import type { Message } from '../messages/types.ts';

/**
 * The live feed between nodes: every node publishes what it commits and
 * receives what every node (itself included) committed.
 *
 * A broker is a fast path, not the source of truth. The contract is deliberately
 * weak so that Redis pub/sub or a NOTIFY can carry it:
 * - at most once: a batch may be lost (a node killed between commit and publish,
 *   a dropped connection);
 * - no order between batches of different publishers, and a late batch may
 *   arrive after a newer one;
 * - a batch may be delivered more than once (reconnects).
 * The ordered feed (./ordered-feed.ts) restores the exact id sequence from the
 * store, so subscribers never see these faults. What a broker must give: a batch
 * arrives whole (all its messages or none) and unchanged.
 */

/** One commit: its messages in id order, and the highest id that commit made (its last message's id). */
export interface BrokerBatch {
  lastId: number;
  /** May be empty: then the batch is a wake-up saying "ids up to lastId are committed". */
  messages: readonly Message[];
}

/** Receives batches; called synchronously per batch, in the order the broker received them. */
export type BrokerHandler = (batch: BrokerBatch) => void;

export interface Broker {
  /** A short name for logs, health and metrics labels (`memory`, `postgres`, `redis`). */
  readonly kind: string;
  /**
   * Sends one commit's batch to every subscriber of every node. Publish once per
   * commit batch, after the commit (never before: a receiver may read the store
   * at once). Resolves when the broker accepted it; rejects when it could not
   * (the batch is then lost, which the ordered feed tolerates). Rejects after close.
   */
  publish(batch: BrokerBatch): Promise<void>;
  /** Adds a handler; returns the function that removes it. A handler that throws is reported and does not affect others. */
  subscribe(handler: BrokerHandler): () => void;
  /** Resolves once this node receives batches (the subscription is active on the server); safe to call again. */
  ready(): Promise<void>;
  /** Stops receiving, drops every handler, releases connections. Idempotent. */
  close(): Promise<void>;
}

/** Where a broker reports a handler that threw, or a connection failure it recovers from. */
export type BrokerErrorHandler = (error: unknown) => void;

/** Handler bookkeeping shared by the implementations: isolate handler failures. */
export class BrokerHandlers {
  private readonly handlers = new Set<BrokerHandler>();

  constructor(private readonly onError: BrokerErrorHandler) {}

  add(handler: BrokerHandler): () => void {
    const entry: BrokerHandler = (batch) => handler(batch);
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }

  emit(batch: BrokerBatch): void {
    for (const handler of this.handlers) {
      try {
        handler(batch);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}

/** Default error sink: print it (a broker must never throw into its connection's event loop). */
export function logBrokerError(error: unknown): void {
  console.error('[relaykit] cluster broker:', error);
}

export class BrokerClosedError extends Error {
  constructor(kind: string) {
    super(`The ${kind} broker is closed`);
    this.name = 'BrokerClosedError';
  }
}
