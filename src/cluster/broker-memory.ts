import {
  type Broker,
  type BrokerBatch,
  BrokerClosedError,
  type BrokerErrorHandler,
  type BrokerHandler,
  BrokerHandlers,
  logBrokerError,
} from './broker.ts';

/**
 * The in-process broker: the single-node default, and several "nodes" in one
 * process for tests. Brokers built on the same network see each other's batches;
 * delivery is in publish order, never lost, never duplicated.
 */
export class MemoryBrokerNetwork {
  readonly members = new Set<MemoryBroker>();
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory';
  private readonly handlers: BrokerHandlers;
  private closed = false;

  constructor(
    private readonly network = new MemoryBrokerNetwork(),
    onError: BrokerErrorHandler = logBrokerError,
  ) {
    this.handlers = new BrokerHandlers(onError);
    network.members.add(this);
  }

  async publish(batch: BrokerBatch): Promise<void> {
    if (this.closed) throw new BrokerClosedError(this.kind);
    // A copy, as a network broker would deliver: receivers cannot share mutable state with the publisher.
    const copy = structuredClone(batch) as BrokerBatch;
    for (const member of this.network.members) {
      queueMicrotask(() => member.receive(copy));
    }
  }

  subscribe(handler: BrokerHandler): () => void {
    return this.handlers.add(handler);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.network.members.delete(this);
    this.handlers.clear();
  }

  private receive(batch: BrokerBatch): void {
    if (!this.closed) this.handlers.emit(batch);
  }
}
