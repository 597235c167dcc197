import type { AnyEvent, RealtimeEvent } from './protocol.ts';

/** An error the clients report: a refused request, a lost connection, a handler that threw. */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';
  constructor(
    /** The hub's error code (`RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN`) or the client's own (`RELAYKIT_CLIENT_...`). */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** `error` as a RealtimeError (kept as it is when it already is one). */
export function toRealtimeError(code: string, error: unknown): RealtimeError {
  if (error instanceof RealtimeError) return error;
  return new RealtimeError(code, error instanceof Error ? error.message : String(error), error);
}

/**
 * What a client does with an error thrown by one of the application's handlers: it
 * goes to the `error` listeners; with none, or when an `error` listener throws itself,
 * to `console.error`. Never swallowed, never looping.
 */
export function reportHandlerErrors(
  listeners: () => { has(name: 'error'): boolean; emit(name: 'error', error: RealtimeError): void },
): (error: unknown) => void {
  let reporting = false;
  return function handlerFailed(error: unknown): void {
    const target = listeners();
    if (reporting || !target.has('error')) {
      console.error('@relaykit/realtime: a handler threw', error);
      return;
    }
    reporting = true;
    try {
      target.emit('error', toRealtimeError('RELAYKIT_CLIENT_HANDLER_FAILED', error));
    } finally {
      reporting = false;
    }
  };
}

type Fn = (...args: never[]) => void;

/**
 * Typed listener sets. A listener that throws never breaks the client: its error goes
 * to the `error` listeners (or to `console.error` when there are none).
 */
export class Listeners<M extends { [K in keyof M]: Fn }> {
  private readonly sets = new Map<keyof M, Set<Fn>>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  on<K extends keyof M>(name: K, listener: M[K]): () => void {
    const set = this.sets.get(name) ?? new Set<Fn>();
    this.sets.set(name, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  has(name: keyof M): boolean {
    return (this.sets.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof M>(name: K, ...args: Parameters<M[K]>): void {
    const set = this.sets.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<M[K]>) => void)(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

export type EventHandler<T = unknown, K extends string = string> = (event: RealtimeEvent<T, K>) => void;

/** Handlers of one channel: every event on it, or one type. */
export interface ChannelHandlers<E extends object> {
  /** Calls `handler` for every event on the channel (`'*'`) or for one message type. */
  on<K extends keyof E & string>(type: K, handler: (event: RealtimeEvent<E[K], K>) => void): () => void;
  on(type: '*', handler: (event: AnyEvent<E>) => void): () => void;
}

/**
 * Routes events to the handlers registered by type, by channel and for direct
 * messages. Shared by the WebSocket client and the SSE helper.
 */
export class Dispatcher {
  private readonly byType = new Map<string, Set<EventHandler>>();
  private readonly byChannel = new Map<string, Map<string, Set<EventHandler>>>();
  private readonly direct = new Set<EventHandler>();

  constructor(private readonly onHandlerError: (error: unknown) => void) {}

  /** Types that have a handler, on any channel or none. */
  types(): Set<string> {
    const out = new Set([...this.byType.keys()]);
    for (const types of this.byChannel.values()) for (const type of types.keys()) out.add(type);
    out.delete('*');
    return out;
  }

  onType(type: string, handler: EventHandler): () => void {
    return add(this.byType, type, handler);
  }

  onChannel(channel: string, type: string, handler: EventHandler): () => void {
    const types = this.byChannel.get(channel) ?? new Map<string, Set<EventHandler>>();
    this.byChannel.set(channel, types);
    return add(types, type, handler);
  }

  onDirect(handler: EventHandler): () => void {
    this.direct.add(handler);
    return () => this.direct.delete(handler);
  }

  /** Calls the handlers of `event`; `self` is the client's id (for direct messages). */
  dispatch(event: RealtimeEvent, self: string | null): void {
    this.call(this.byType.get(event.event), event);
    this.call(this.byType.get('*'), event);
    if (event.channel !== null) {
      const types = this.byChannel.get(event.channel);
      if (types) {
        this.call(types.get(event.event), event);
        this.call(types.get('*'), event);
      }
    }
    if (event.to !== null && event.to === self) this.call(this.direct, event);
  }

  private call(handlers: Set<EventHandler> | undefined, event: RealtimeEvent): void {
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (error) {
        this.onHandlerError(error);
      }
    }
  }
}

function add(map: Map<string, Set<EventHandler>>, key: string, handler: EventHandler): () => void {
  const set = map.get(key) ?? new Set<EventHandler>();
  map.set(key, set);
  set.add(handler);
  return () => set.delete(handler);
}
