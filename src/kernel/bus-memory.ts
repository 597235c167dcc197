import type { AnyEventHandler, BusErrorReport, EventBus, EventHandler, Unsubscribe } from './bus.ts';
import type { BusEvent, EventName, RelaykitEvents } from './events.ts';

/** The default bus: synchronous, in-process dispatch with isolated subscribers. */
export class MemoryEventBus implements EventBus {
  private readonly byName = new Map<string, Set<(event: BusEvent) => void | Promise<void>>>();
  private readonly any = new Set<AnyEventHandler>();

  constructor(private readonly onHandlerError: (report: BusErrorReport) => void = () => {}) {}

  publish<K extends EventName>(name: K, payload: RelaykitEvents[K]): void {
    const event = { name, payload } as BusEvent;
    const named = this.byName.get(name);
    if (named) for (const handler of named) this.call(handler, event);
    for (const handler of this.any) this.call(handler, event);
  }

  on<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe {
    const wrapped = (event: BusEvent) => handler(event.payload as RelaykitEvents[K], event as BusEvent<K>);
    let set = this.byName.get(name);
    if (!set) {
      set = new Set();
      this.byName.set(name, set);
    }
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }

  onAny(handler: AnyEventHandler): Unsubscribe {
    this.any.add(handler);
    return () => {
      this.any.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.byName.clear();
    this.any.clear();
  }

  private call(handler: (event: BusEvent) => void | Promise<void>, event: BusEvent): void {
    try {
      const result = handler(event);
      if (result && typeof (result as Promise<void>).catch === 'function') {
        (result as Promise<void>).catch((error: unknown) => this.onHandlerError({ event: event.name, error }));
      }
    } catch (error) {
      this.onHandlerError({ event: event.name, error });
    }
  }
}
