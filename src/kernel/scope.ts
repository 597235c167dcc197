import type { Registry } from 'prom-client';
import type { Leadership } from '../cluster/leadership.ts';
import type { AnyEventHandler, EventBus, EventHandler, Unsubscribe } from './bus.ts';
import type { EventName, RelaykitEvents } from './events.ts';
import { ScopedMetrics } from './metrics.ts';

/** A bus view that remembers its subscriptions so they end with the plugin instance. */
export class ScopedBus implements EventBus {
  private readonly subscriptions = new Set<Unsubscribe>();

  constructor(private readonly bus: EventBus) {}

  publish<K extends EventName>(name: K, payload: RelaykitEvents[K]): void {
    this.bus.publish(name, payload);
  }

  on<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe {
    return this.track(this.bus.on(name, handler));
  }

  onAny(handler: AnyEventHandler): Unsubscribe {
    return this.track(this.bus.onAny(handler));
  }

  /** Ends this scope's subscriptions only; the shared bus stays open. */
  async close(): Promise<void> {
    for (const unsubscribe of this.subscriptions) unsubscribe();
    this.subscriptions.clear();
  }

  private track(unsubscribe: Unsubscribe): Unsubscribe {
    const once = () => {
      unsubscribe();
      this.subscriptions.delete(once);
    };
    this.subscriptions.add(once);
    return once;
  }
}

/** Everything the kernel lends one plugin instance, released together when it stops. */
export class PluginScope {
  readonly bus: ScopedBus;
  readonly metrics: ScopedMetrics;
  readonly abort = new AbortController();
  private readonly leaderships = new Set<Leadership>();

  constructor(
    bus: EventBus,
    registry: Registry,
    private readonly elect: (name: string) => Promise<Leadership> = () =>
      Promise.reject(new Error('this hub has no leadership factory')),
  ) {
    this.bus = new ScopedBus(bus);
    this.metrics = new ScopedMetrics(registry);
  }

  /** A leadership closed with the instance (if the plugin has not closed it already). */
  async leadership(name: string): Promise<Leadership> {
    const leadership = await this.elect(name);
    this.leaderships.add(leadership);
    return leadership;
  }

  async release(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.leaderships].map((l) => l.close()));
    this.leaderships.clear();
    await this.bus.close();
    this.metrics.release();
  }
}
