import {
  type BackoffOptions,
  backoffDelay,
  defaultBackoff,
  globalTimers,
  resolveToken,
  type Timers,
  type TokenSource,
} from './backoff.ts';
import {
  type ChannelHandlers,
  Dispatcher,
  Listeners,
  RealtimeError,
  reportHandlerErrors,
  toRealtimeError,
} from './handlers.ts';
import type { AnyEvent, EventMap, RealtimeEvent, SseConnectedData, SseEnvelope, SseGapData } from './protocol.ts';
import {
  type EventSourceConstructor,
  eventSourceSource,
  fetchSource,
  type Source,
  type SourceEvents,
} from './sse-sources.ts';

export interface RealtimeStreamOptions {
  /** The hub: `http://localhost:3000` (the stream is `/stream/events`), or the full stream URL. */
  url: string;
  /** The client id (with a JWT, its `sub`). Messages addressed to it reach the stream. */
  clientId?: string;
  /** Channels to stream (`$hub:…` system channels and `*` need the admin token or a `system` JWT). */
  channels?: string[];
  /** Only these message types (the hub filters). With EventSource, also the names listened for. */
  types?: string[];
  /** A JWT, or a function returning one (called before every (re)open, `refresh: true` after a refusal). */
  token?: TokenSource;
  /** Resume after this id (an id you persisted). */
  lastEventId?: number;
  /**
   * `eventsource` (default where the platform has EventSource: browsers, Deno) sends the
   * token as `?token=`; `fetch` (default elsewhere: Bun, Node) sends it as a bearer header,
   * sees every event type and watches the hub's heartbeat.
   */
  transport?: 'eventsource' | 'fetch';
  EventSource?: EventSourceConstructor;
  fetch?: typeof fetch;
  /** Reopen backoff after the hub refused or ended a stream; `false` never reopens. */
  reconnect?: Partial<BackoffOptions> | false;
  /** fetch transport: nothing read for this long means a dead stream. Default 45000 ms (3 hub heartbeats). */
  heartbeatTimeoutMs?: number;
  timers?: Timers;
  random?: () => number;
}

export interface StreamConnectedInfo {
  clientId: string;
  streamId: number;
  channels: string[];
  /** Where this stream resumed from (null: it started live). */
  lastEventId: number | null;
  reconnected: boolean;
}

export interface StreamLifecycle<E extends object> {
  connected: (info: StreamConnectedInfo) => void;
  disconnected: (info: { reason: string; willReconnect: boolean }) => void;
  reconnecting: (info: { attempt: number; delayMs: number }) => void;
  error: (error: RealtimeError) => void;
  /** `relaykit.gap`: events after the resume point may have expired; reload from `GET /messages` if you need all. */
  gap: (info: SseGapData) => void;
  event: (event: AnyEvent<E>) => void;
}

export type StreamState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/**
 * An SSE stream from Relaykit's `/stream/events` that resumes by Last-Event-ID without
 * loss: EventSource's own reconnects carry the header; when EventSource gives up (the
 * hub answered 401, 503 during a restart...) or a fetch stream ends, the helper reopens
 * with `last_event_id`, backoff and a fresh token.
 */
export class RealtimeStream<E extends object = EventMap> {
  private readonly listeners: Listeners<StreamLifecycle<E>> = new Listeners((e) => this.handlerFailed(e));
  private readonly dispatcher = new Dispatcher((e) => this.handlerFailed(e));
  private readonly handlerFailed = reportHandlerErrors(() => this.listeners);
  private readonly timers: Timers;
  private readonly backoff: BackoffOptions | false;
  /** How this stream is read: the platform's EventSource, or fetch. */
  readonly transport: 'eventsource' | 'fetch';
  private source: Source | null = null;
  private status: StreamState = 'idle';
  private last: number | null;
  private self: string | null;
  private attempt = 0;
  private retryTimer: unknown = null;
  private opened = false;
  private connectedOnce = false;
  private waiters: Array<{ resolve(info: StreamConnectedInfo): void; reject(error: RealtimeError): void }> = [];

  constructor(private readonly options: RealtimeStreamOptions) {
    this.timers = options.timers ?? globalTimers;
    this.backoff = options.reconnect === false ? false : { ...defaultBackoff, ...options.reconnect };
    this.last = options.lastEventId ?? null;
    this.self = options.clientId ?? null;
    const platform = (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    this.transport = options.transport ?? (options.EventSource || platform ? 'eventsource' : 'fetch');
    if (this.transport === 'eventsource' && !(options.EventSource ?? platform)) {
      throw new RealtimeError('RELAYKIT_CLIENT_NO_EVENTSOURCE', 'No EventSource here: use transport "fetch"');
    }
  }

  get state(): StreamState {
    return this.status;
  }

  /** The id of the last message received: the stream resumes after it. */
  get lastEventId(): number | null {
    return this.last;
  }

  get clientId(): string | null {
    return this.self;
  }

  on<K extends keyof StreamLifecycle<E>>(name: K, listener: StreamLifecycle<E>[K]): () => void {
    return this.listeners.on(name, listener);
  }

  /** Handlers by message type, or `'*'` for every type (with EventSource: the types of `types` and of handlers). */
  onEvent<K extends keyof E & string>(type: K, handler: (event: RealtimeEvent<E[K], K>) => void): () => void;
  onEvent(type: '*', handler: (event: AnyEvent<E>) => void): () => void;
  onEvent(type: string, handler: (event: never) => void): () => void {
    if (type !== '*') this.source?.listen(type);
    return this.dispatcher.onType(type, handler as (event: RealtimeEvent) => void);
  }

  /** Handlers for the events of one of the stream's channels. */
  channel(name: string): ChannelHandlers<E> {
    return {
      on: (type: string, handler: (event: never) => void) => {
        if (type !== '*') this.source?.listen(type);
        return this.dispatcher.onChannel(name, type, handler as (event: RealtimeEvent) => void);
      },
    } as ChannelHandlers<E>;
  }

  onDirect(handler: (event: AnyEvent<E>) => void): () => void {
    return this.dispatcher.onDirect(handler as (event: RealtimeEvent) => void);
  }

  /** Opens the stream; resolves on the hub's `relaykit.connected`. */
  connect(): Promise<StreamConnectedInfo> {
    if (this.status === 'closed')
      return Promise.reject(new RealtimeError('RELAYKIT_CLIENT_CLOSED', 'The stream is closed'));
    const ready = new Promise<StreamConnectedInfo>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.status === 'idle') void this.open(false);
    return ready;
  }

  close(): void {
    if (this.status === 'closed') return;
    const wasOpen = this.status === 'open';
    this.status = 'closed';
    this.source?.close();
    this.source = null;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.failWaiters(new RealtimeError('RELAYKIT_CLIENT_CLOSED', 'The stream was closed'));
    if (wasOpen) this.listeners.emit('disconnected', { reason: 'client closed', willReconnect: false });
  }

  private async open(refresh: boolean): Promise<void> {
    this.status = 'connecting';
    this.opened = false;
    let token: string | null;
    try {
      token = await resolveToken(this.options.token, refresh);
    } catch (error) {
      this.listeners.emit('error', toRealtimeError('RELAYKIT_CLIENT_TOKEN_FAILED', error));
      return this.retry(refresh);
    }
    if (this.status !== 'connecting') return;
    const events = {
      event: (name: string, data: string, id: string | null) => this.receive(name, data, id),
      ended: (info: { retrying: boolean; status: number | null; reason: string }) => this.ended(info),
    };
    try {
      this.source = this.openSource(token, events);
    } catch (error) {
      // A URL the platform refuses: retrying cannot help.
      this.listeners.emit('error', toRealtimeError('RELAYKIT_CLIENT_CONNECT_FAILED', error));
      this.ended({ retrying: false, status: 400, reason: 'could not open the stream' });
    }
  }

  private openSource(token: string | null, events: SourceEvents): Source {
    if (this.transport === 'eventsource') {
      const impl = (this.options.EventSource ??
        (globalThis as { EventSource?: EventSourceConstructor }).EventSource) as EventSourceConstructor;
      const names = new Set([
        'relaykit.connected',
        'relaykit.gap',
        ...(this.options.types ?? []),
        ...this.dispatcher.types(),
      ]);
      return eventSourceSource(impl, this.url(token, true), names, events);
    } else {
      return fetchSource(
        this.url(null, false),
        {
          fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(this.last !== null ? { 'last-event-id': String(this.last) } : {}),
          },
          timers: this.timers,
          heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 45_000,
        },
        events,
      );
    }
  }

  private url(token: string | null, withCursor: boolean): string {
    const url = new URL(this.options.url);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/stream/events';
    const set = (key: string, value: string | undefined | null) => value && url.searchParams.set(key, value);
    set('client_id', this.self ?? undefined);
    set('channels', this.options.channels?.join(','));
    set('subscribe', this.options.types?.join(','));
    set('token', token);
    if (withCursor && this.last !== null) set('last_event_id', String(this.last));
    return url.toString();
  }

  private receive(name: string, raw: string, sseId: string | null): void {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      this.listeners.emit('error', new RealtimeError('RELAYKIT_CLIENT_MALFORMED_EVENT', `${name}: not JSON`));
      return;
    }
    if (name === 'relaykit.connected') {
      this.connected(data as SseConnectedData);
      return;
    }
    if (name === 'relaykit.gap') {
      this.listeners.emit('gap', data as SseGapData);
      return;
    }
    const event = toEvent(name, data, sseId);
    if (event.id !== null) {
      if (this.last !== null && event.id <= this.last) return;
      this.last = event.id;
    }
    this.listeners.emit('event', event as AnyEvent<E>);
    this.dispatcher.dispatch(event, this.self);
  }

  private connected(data: SseConnectedData): void {
    this.status = 'open';
    this.opened = true;
    this.attempt = 0;
    // An anonymous stream keeps the id the hub gave it on every reopen.
    this.self = data.client_id;
    const info: StreamConnectedInfo = {
      clientId: data.client_id,
      streamId: data.stream_id,
      channels: data.channels,
      lastEventId: data.last_event_id,
      reconnected: this.connectedOnce,
    };
    this.connectedOnce = true;
    this.listeners.emit('connected', info);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(info);
  }

  private ended(info: { retrying: boolean; status: number | null; reason: string }): void {
    if (this.status === 'closed') return;
    const wasOpen = this.opened;
    this.opened = false;
    if (info.retrying) {
      // EventSource reconnects by itself with Last-Event-ID.
      this.status = 'connecting';
      if (wasOpen) this.listeners.emit('disconnected', { reason: info.reason, willReconnect: true });
      return;
    }
    this.source?.close();
    this.source = null;
    const refresh = info.status === 401 || (info.status === null && this.transport === 'eventsource');
    const fatal =
      info.status === 400 || info.status === 403 || (info.status === 401 && typeof this.options.token !== 'function');
    if (fatal || this.backoff === false) {
      this.status = 'closed';
      if (fatal) this.listeners.emit('error', new RealtimeError('RELAYKIT_CLIENT_REFUSED', info.reason));
      this.failWaiters(new RealtimeError('RELAYKIT_CLIENT_CLOSED', `The stream stopped: ${info.reason}`));
      if (wasOpen) this.listeners.emit('disconnected', { reason: info.reason, willReconnect: false });
      return;
    }
    if (wasOpen) this.listeners.emit('disconnected', { reason: info.reason, willReconnect: true });
    this.retry(refresh);
  }

  private retry(refresh: boolean): void {
    if (this.status === 'closed' || this.backoff === false) return;
    const attempt = ++this.attempt;
    const delayMs = backoffDelay(attempt, this.backoff, this.options.random);
    this.status = 'waiting';
    this.listeners.emit('reconnecting', { attempt, delayMs });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (this.status === 'waiting') void this.open(refresh);
    }, delayMs);
  }

  private failWaiters(error: RealtimeError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

/** An SSE event as a RealtimeEvent: the envelope (the default), or a bare payload (`data: payload`). */
function toEvent(name: string, data: unknown, sseId: string | null): RealtimeEvent {
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
  if (record && record.event === name && 'id' in record && 'channel' in record && 'timestamp' in record) {
    const m = record as unknown as SseEnvelope;
    return {
      id: m.id,
      channel: m.channel,
      event: m.event,
      data: m.data,
      from: m.from ?? null,
      to: m.to ?? null,
      timestamp: m.timestamp,
    };
  }
  const id = sseId !== null && /^\d+$/.test(sseId) ? Number(sseId) : null;
  return { id, channel: null, event: name, data, from: null, to: null, timestamp: '' };
}
