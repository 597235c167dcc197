import type { Timers } from './backoff.ts';
import type { ClientFrame, ServerFrame } from './protocol.ts';

/**
 * The part of the WebSocket API the client uses: the browser's, Bun's, Deno's, Node
 * 22's global `WebSocket`, or the `ws` package's on Node 20.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Heartbeat settings; see `RealtimeClientOptions.heartbeat`. */
export interface HeartbeatOptions {
  /** Silence (no frame from the hub) after which the client sends a `ping`. Default 15000 ms. */
  intervalMs: number;
  /** How long it then waits for any frame before it declares the connection dead. Default 10000 ms. */
  timeoutMs: number;
}

export interface ConnectionOptions {
  timers: Timers;
  /** Time for the socket to open and the hub's `connected` frame to arrive. */
  connectTimeoutMs: number;
  heartbeat: HeartbeatOptions | false;
}

export interface ConnectionEvents {
  frame(frame: ServerFrame): void;
  /** The hub sent something that is not a JSON frame. */
  malformed(text: string): void;
  /** Reported once, when the socket closed or was given up. */
  closed(code: number, reason: string): void;
}

const OPEN = 1;
/** Reported for a connection the client gave up on (no close frame came). */
export const ABNORMAL_CLOSURE = 1006;

/**
 * One WebSocket to the hub: frames in and out, a connect timeout, and the heartbeat
 * that finds a dead connection. Browsers answer the hub's ping control frames without
 * telling the page, so the client pings at the application level when the hub has been
 * silent for `intervalMs`: a live hub answers `pong` (and counts the ping as activity),
 * a dead path answers nothing and the connection is given up after `timeoutMs`.
 */
export class Connection {
  private readonly ws: WebSocketLike;
  private done = false;
  private heard = false;
  private timer: unknown = null;

  constructor(
    WebSocketImpl: WebSocketConstructor,
    url: string,
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.ws = new WebSocketImpl(url);
    this.ws.addEventListener('message', (event: { data: unknown }) => this.receive(event.data));
    this.ws.addEventListener('close', (event: { code: number; reason: string }) =>
      this.finish(event.code, event.reason),
    );
    // A failed connection also reports `close`; listening here keeps EventEmitter-based
    // implementations (the `ws` package) from throwing an unhandled `error`.
    this.ws.addEventListener('error', () => {});
    this.timer = options.timers.setTimeout(() => this.giveUp('connect timeout'), options.connectTimeoutMs);
  }

  get open(): boolean {
    return !this.done && this.ws.readyState === OPEN;
  }

  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** The hub's `connected` frame arrived: the connect timeout ends, the heartbeat starts. */
  established(): void {
    this.clearTimer();
    if (this.options.heartbeat) this.schedule(this.options.heartbeat);
  }

  /** Closes from the client's side; `closed` is reported at once. */
  close(code: number, reason: string): void {
    if (this.done) return;
    try {
      this.ws.close(code, reason);
    } catch {
      // Closing a socket that never opened can throw; it is being dropped anyway.
    }
    this.finish(code, reason);
  }

  private schedule(heartbeat: HeartbeatOptions): void {
    this.timer = this.options.timers.setTimeout(() => {
      if (this.heard) {
        this.heard = false;
        return this.schedule(heartbeat);
      }
      this.send({ type: 'ping' });
      this.timer = this.options.timers.setTimeout(() => {
        if (!this.heard) return this.giveUp('heartbeat timeout');
        this.heard = false;
        this.schedule(heartbeat);
      }, heartbeat.timeoutMs);
    }, heartbeat.intervalMs);
  }

  private giveUp(reason: string): void {
    if (this.done) return;
    try {
      this.ws.close(4000, reason);
    } catch {
      // See close().
    }
    this.finish(ABNORMAL_CLOSURE, reason);
  }

  private receive(data: unknown): void {
    if (this.done) return;
    this.heard = true;
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
    const frame = parseFrame(text);
    if (frame) this.events.frame(frame);
    else this.events.malformed(text);
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.events.closed(code, reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

function parseFrame(text: string): ServerFrame | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? (value as ServerFrame)
      : null;
  } catch {
    return null;
  }
}
