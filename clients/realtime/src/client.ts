import {
  type BackoffOptions,
  backoffDelay,
  defaultBackoff,
  globalTimers,
  resolveToken,
  type Timers,
} from './backoff.ts';
import type {
  Channel,
  ClientLifecycle,
  ClientState,
  ConnectedInfo,
  DisconnectedInfo,
  RealtimeClientOptions,
} from './client-types.ts';
import { Connection, type ConnectionOptions, type WebSocketConstructor } from './connection.ts';
import { Dispatcher, Listeners, RealtimeError, reportHandlerErrors, toRealtimeError } from './handlers.ts';
import {
  type AnyEvent,
  CloseCodes,
  type ConnectedFrame,
  type EventMap,
  eventFromFrame,
  type RealtimeEvent,
  type ServerFrame,
  type SubscribedFrame,
} from './protocol.ts';
import { PendingRequests } from './requests.ts';
import { type Cursors, namedChannels, ResumeState } from './resume.ts';

export type { Channel, ClientLifecycle, ClientState, ConnectedInfo, DisconnectedInfo, RealtimeClientOptions };

interface Waiter {
  resolve(): void;
  reject(error: RealtimeError): void;
}

/**
 * A WebSocket client for Relaykit's `/ws`: reconnects with exponential backoff and
 * jitter, resubscribes, resumes every channel and its direct messages from the last id
 * it received (nothing lost, nothing twice, in order), detects dead connections, and
 * refreshes its token through a provider.
 */
export class RealtimeClient<E extends object = EventMap> {
  private readonly listeners: Listeners<ClientLifecycle<E>> = new Listeners((e) => this.handlerFailed(e));
  private readonly dispatcher = new Dispatcher((e) => this.handlerFailed(e));
  private readonly handlerFailed = reportHandlerErrors(() => this.listeners);
  private readonly resume: ResumeState;
  private readonly requests: PendingRequests;
  private readonly timers: Timers;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly backoff: BackoffOptions | false;
  private conn: Connection | null = null;
  private status: ClientState = 'idle';
  private attempt = 0;
  private retryTimer: unknown = null;
  private self: string | null = null;
  /** Whether the hub lets a reconnect ask for `self` again (`keeps_id` of the last `connected` frame). */
  private keepsId = true;
  private info: ConnectedInfo | null = null;
  private hadConnection = false;
  private buffer: RealtimeEvent[] = [];
  private waiters: Waiter[] = [];

  constructor(private readonly options: RealtimeClientOptions) {
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!impl) {
      throw new RealtimeError(
        'RELAYKIT_CLIENT_NO_WEBSOCKET',
        'No WebSocket implementation: pass one as `WebSocket` (on Node 20: `import { WebSocket } from "ws"`)',
      );
    }
    this.WebSocketImpl = impl;
    this.timers = options.timers ?? globalTimers;
    this.backoff = options.reconnect === false ? false : { ...defaultBackoff, ...options.reconnect };
    this.requests = new PendingRequests(options.requestTimeoutMs ?? 10_000, this.timers);
    this.resume = new ResumeState(options.cursors);
    this.self = options.clientId ?? null;
    for (const channel of options.channels ?? []) this.resume.add(channel);
  }

  get state(): ClientState {
    return this.status;
  }

  /** The client id the hub knows this client by (null until the first connection). */
  get clientId(): string | null {
    return this.self;
  }

  /** Lifecycle listeners: `connected`, `disconnected`, `reconnecting`, `error`, `gap`, and `event` for every event. */
  on<K extends keyof ClientLifecycle<E>>(name: K, listener: ClientLifecycle<E>[K]): () => void {
    return this.listeners.on(name, listener);
  }

  /** Calls `handler` for every event of one message type (on any channel, or direct), or of every type (`'*'`). */
  onEvent<K extends keyof E & string>(type: K, handler: (event: RealtimeEvent<E[K], K>) => void): () => void;
  onEvent(type: '*', handler: (event: AnyEvent<E>) => void): () => void;
  onEvent(type: string, handler: (event: never) => void): () => void {
    return this.dispatcher.onType(type, handler as (event: RealtimeEvent) => void);
  }

  /** Calls `handler` for every message addressed to this client. */
  onDirect(handler: (event: AnyEvent<E>) => void): () => void {
    return this.dispatcher.onDirect(handler as (event: RealtimeEvent) => void);
  }

  /**
   * Subscribes to `name` (now, or on the next connection) and returns a handle for its
   * handlers. A refusal (a forbidden channel) is reported as an `error` event.
   */
  channel(name: string, options: { since?: number } = {}): Channel<E> {
    this.subscribe([name], options).catch((error: RealtimeError) => this.listeners.emit('error', error));
    const dispatcher = this.dispatcher;
    return {
      name,
      on: (type: string, handler: (event: never) => void) =>
        dispatcher.onChannel(name, type, handler as (event: RealtimeEvent) => void),
      unsubscribe: () => this.unsubscribe([name]),
    } as Channel<E>;
  }

  /**
   * Subscribes to channels and resolves once the hub confirmed them (after replaying
   * what came after `since`, when given). Until then they are part of every resume.
   */
  async subscribe(channels: string[], options: { since?: number } = {}): Promise<void> {
    for (const channel of channels) this.resume.add(channel, options.since);
    for (;;) {
      await this.whenOpen();
      const pending = channels.filter((c) => this.resume.has(c) && !this.resume.isLive(c));
      if (pending.length === 0) return;
      try {
        await Promise.all(this.resume.framesFor(pending).map((frame) => this.request(frame, 'subscribe')));
        return;
      } catch (error) {
        if (error instanceof RealtimeError && error.code === 'RELAYKIT_CLIENT_DISCONNECTED') continue;
        // Refused (all or nothing): none of them is subscribed, and none is retried at the next resume.
        if (error instanceof RealtimeError && error.code !== 'RELAYKIT_CLIENT_TIMEOUT') {
          for (const channel of pending) this.resume.remove(channel);
        }
        throw error;
      }
    }
  }

  async unsubscribe(channels: string[]): Promise<void> {
    for (const channel of channels) this.resume.remove(channel);
    // While resuming, the resume frame may have named them: leave once it is confirmed.
    if (this.status === 'resuming') await this.whenOpen();
    // Otherwise, without a connection, the next resume simply leaves them out.
    if (this.status !== 'open') return;
    await this.request({ type: 'unsubscribe', channels }, 'unsubscribe');
  }

  /** Publishes on a channel (the token's `publish` claim must allow it); resolves with the stored message's id. */
  async publish<K extends keyof E & string>(
    channel: string,
    event: K,
    payload: E[K],
    options: { to?: string } = {},
  ): Promise<{ messageId: number }> {
    await this.whenOpen();
    const frame = { type: 'publish' as const, channel, event, payload, ...(options.to ? { to: options.to } : {}) };
    const reply = await this.request(frame, 'publish');
    return { messageId: (reply as { message_id: number }).message_id };
  }

  /** The channels the hub has this connection subscribed to (`get_subscriptions`). */
  async subscriptions(): Promise<string[]> {
    await this.whenOpen();
    const reply = await this.request({ type: 'get_subscriptions' }, 'get_subscriptions');
    return (reply as { channels: string[] }).channels;
  }

  /** Round trip to the hub. */
  async ping(): Promise<{ serverTime: string }> {
    await this.whenOpen();
    const reply = await this.request({ type: 'ping' }, 'ping');
    return { serverTime: (reply as { server_time: string }).server_time };
  }

  /** The resume point: persist it and pass it as `cursors` to continue after a restart of your app. */
  cursors(): Cursors {
    return this.resume.snapshot();
  }

  /** Connects (retrying with backoff) and resolves once subscribed and resumed. */
  async connect(): Promise<ConnectedInfo> {
    if (this.status === 'idle') void this.open(false);
    await this.whenOpen();
    return this.info as ConnectedInfo;
  }

  /** Closes for good: no reconnect; pending requests fail. */
  close(): void {
    if (this.status === 'closed') return;
    const wasConnected = this.conn !== null;
    this.status = 'closed';
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    const conn = this.conn;
    this.conn = null;
    conn?.close(CloseCodes.normal, 'client closed');
    this.connectionGone();
    this.failWaiters(new RealtimeError('RELAYKIT_CLIENT_CLOSED', 'The client was closed'));
    if (wasConnected)
      this.listeners.emit('disconnected', { code: 1000, reason: 'client closed', willReconnect: false });
  }

  private async open(refresh: boolean): Promise<void> {
    this.status = 'connecting';
    let token: string | null;
    try {
      token = await resolveToken(this.options.token, refresh);
    } catch (error) {
      this.listeners.emit('error', toRealtimeError('RELAYKIT_CLIENT_TOKEN_FAILED', error));
      return this.retry(refresh);
    }
    if (this.status !== 'connecting') return;
    const options: ConnectionOptions = {
      timers: this.timers,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      heartbeat:
        this.options.heartbeat === false ? false : { intervalMs: 15_000, timeoutMs: 10_000, ...this.options.heartbeat },
    };
    try {
      const conn: Connection = new Connection(this.WebSocketImpl, this.url(token), options, {
        frame: (frame) => this.conn === conn && this.receive(conn, frame),
        malformed: (text) =>
          this.listeners.emit(
            'error',
            new RealtimeError('RELAYKIT_CLIENT_MALFORMED_FRAME', `Not a JSON frame: ${text.slice(0, 100)}`),
          ),
        closed: (code, reason) => this.conn === conn && this.lost(code, reason),
      });
      this.conn = conn;
    } catch (error) {
      this.listeners.emit('error', toRealtimeError('RELAYKIT_CLIENT_CONNECT_FAILED', error));
      this.stop(1006, 'could not open a WebSocket');
    }
  }

  private url(token: string | null): string {
    const url = new URL(this.options.url);
    if (url.protocol === 'http:') url.protocol = 'ws:';
    if (url.protocol === 'https:') url.protocol = 'wss:';
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
    if (token) url.searchParams.set('token', token);
    // Anonymous clients keep the id the hub gave them, so their direct messages follow them.
    const clientId = this.options.clientId ?? (token || !this.keepsId ? null : this.self);
    if (clientId) url.searchParams.set('client_id', clientId);
    return url.toString();
  }

  private receive(conn: Connection, frame: ServerFrame): void {
    switch (frame.type) {
      case 'connected':
        conn.established();
        this.connected(conn, frame);
        return;
      case 'event':
        if (this.status === 'resuming') this.buffer.push(eventFromFrame(frame));
        else this.deliver(eventFromFrame(frame));
        return;
      default:
        if (!this.requests.settle(frame) && frame.type === 'error') {
          this.listeners.emit('error', new RealtimeError(frame.code, frame.message, frame.details));
        }
    }
  }

  /** A connection opened: resume every channel and the direct messages in one frame. */
  private connected(conn: Connection, frame: ConnectedFrame): void {
    this.self = frame.client_id;
    // A hub with keys or JWTs gives anonymous clients a fresh id each time: asking for the old one would be refused.
    this.keepsId = frame.keeps_id !== false;
    this.resume.opened(frame.last_id);
    this.status = 'resuming';
    this.buffer = [];
    const reconnected = this.hadConnection;
    this.hadConnection = true;
    const resumeFrom = async (): Promise<void> => {
      const { channels, since } = this.resume.resumeFrame();
      try {
        const reply = (await this.request({ type: 'subscribe', channels, since }, 'the resume')) as SubscribedFrame;
        if (this.conn !== conn) return;
        this.resume.confirmed(channels, true);
        const replayed = this.flushBuffer();
        if (reply.recovered === false) this.listeners.emit('gap', { channels, since });
        this.ready({
          clientId: frame.client_id,
          auth: frame.auth,
          system: frame.system,
          lastId: frame.last_id,
          reconnected,
          replayed,
        });
      } catch (error) {
        if (this.conn !== conn || !(error instanceof RealtimeError)) return;
        const refused = namedChannels(error);
        this.listeners.emit('error', error);
        if (refused.length > 0) {
          for (const channel of refused) this.resume.remove(channel);
          return resumeFrom();
        }
        this.flushBuffer();
        this.ready({
          clientId: frame.client_id,
          auth: frame.auth,
          system: frame.system,
          lastId: frame.last_id,
          reconnected,
          replayed: 0,
        });
      }
    };
    void resumeFrom();
  }

  /** Delivers what arrived during the resume, in id order, without duplicates. */
  private flushBuffer(): number {
    const events = this.buffer.sort((a, b) => (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER));
    this.buffer = [];
    let delivered = 0;
    for (const event of events) if (this.deliver(event)) delivered++;
    for (const event of events) if (event.id !== null) this.resume.reached(event.id);
    return delivered;
  }

  private deliver(event: RealtimeEvent): boolean {
    if (!this.resume.accept(event, this.self)) return false;
    this.listeners.emit('event', event as AnyEvent<E>);
    this.dispatcher.dispatch(event, this.self);
    return true;
  }

  private ready(info: ConnectedInfo): void {
    this.status = 'open';
    this.attempt = 0;
    this.info = info;
    this.listeners.emit('connected', info);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private lost(code: number, reason: string): void {
    const wasConnected = this.status === 'resuming' || this.status === 'open';
    this.conn = null;
    this.connectionGone();
    const refresh = code === CloseCodes.unauthorized;
    // Retrying cannot fix a forbidden client id, nor a refused token nobody can refresh.
    const fatal = code === CloseCodes.forbidden || (refresh && typeof this.options.token !== 'function');
    if (fatal || this.backoff === false) {
      if (fatal)
        this.listeners.emit(
          'error',
          new RealtimeError('RELAYKIT_CLIENT_REFUSED', `The hub closed the connection: ${code} ${reason}`),
        );
      this.stop(code, reason, wasConnected);
      return;
    }
    if (wasConnected) this.listeners.emit('disconnected', { code, reason, willReconnect: true });
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

  private stop(code: number, reason: string, wasConnected = false): void {
    this.status = 'closed';
    this.failWaiters(new RealtimeError('RELAYKIT_CLIENT_CLOSED', `The client stopped: ${code} ${reason}`));
    if (wasConnected) this.listeners.emit('disconnected', { code, reason, willReconnect: false });
  }

  private connectionGone(): void {
    this.resume.closed();
    this.buffer = [];
    this.requests.failAll(new RealtimeError('RELAYKIT_CLIENT_DISCONNECTED', 'The connection to the hub was lost'));
  }

  private request(frame: Parameters<Connection['send']>[0], what: string): Promise<ServerFrame> {
    const { id, reply } = this.requests.open(what);
    if (!this.conn?.send({ ...frame, id })) {
      this.requests.settle({ type: 'error', id, code: 'RELAYKIT_CLIENT_DISCONNECTED', message: 'Not connected' });
    }
    return reply;
  }

  private whenOpen(): Promise<void> {
    if (this.status === 'open') return Promise.resolve();
    if (this.status === 'closed')
      return Promise.reject(new RealtimeError('RELAYKIT_CLIENT_CLOSED', 'The client is closed'));
    if (this.status === 'idle') void this.open(false);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private failWaiters(error: RealtimeError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
