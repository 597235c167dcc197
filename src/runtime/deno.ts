import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { openNodeSqlite } from './node-sqlite.ts';
import type {
  HttpServer,
  RequestInfo,
  RuntimeAdapter,
  ServeOptions,
  WebSocketConnection,
  WebSocketDefaults,
  WebSocketHandlers,
} from './types.ts';

/*
 * The few Deno APIs this adapter uses, typed here so the rest of the code base (typed
 * for Bun) never sees a `Deno` global.
 */
interface DenoNetAddr {
  hostname: string;
  port: number;
}
interface DenoServeInfo {
  /** Readable only before the request is upgraded. */
  readonly remoteAddr: DenoNetAddr;
}
interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  /** Stops accepting, lets in-flight requests finish, closes idle connections. */
  shutdown(): Promise<void>;
  /** Lets the process exit even while connections stay open. */
  unref(): void;
}
interface DenoApi {
  readonly version: { deno: string };
  serve(
    options: { hostname: string; port: number; onListen(addr: DenoNetAddr): void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoHttpServer;
  upgradeWebSocket(request: Request, options: { idleTimeout: number }): { socket: WebSocket; response: Response };
}

const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Above this many queued bytes `send` reports backpressure (-1) and `drain` fires once it falls below half. */
const DRAIN_WATERMARK = 1024 * 1024;
/** How often a backpressured connection's buffer is checked (Deno has no drain event). */
const DRAIN_POLL_MS = 10;
/** How long a forced stop waits for connections to finish before letting the process go. */
const FORCE_STOP_MS = 2000;

/** WebSocket pub/sub, which Deno does not have natively: topic → subscribed connections. */
class Topics {
  private readonly topics = new Map<string, Set<DenoConnection>>();

  subscribe(topic: string, conn: DenoConnection): void {
    const set = this.topics.get(topic);
    if (set) set.add(conn);
    else this.topics.set(topic, new Set([conn]));
  }

  unsubscribe(topic: string, conn: DenoConnection): void {
    const set = this.topics.get(topic);
    if (!set?.delete(conn)) return;
    if (set.size === 0) this.topics.delete(topic);
  }

  /** Sends to every subscriber: -1 when any of them is under backpressure (as Bun reports), else the bytes sent, 0 with none. */
  publish(topic: string, text: string): number {
    const set = this.topics.get(topic);
    if (!set) return 0;
    const bytes = utf8Length(text);
    let result = 0;
    for (const conn of set) {
      const sent = conn.sendText(text, bytes);
      if (sent === -1) result = -1;
      else if (result !== -1 && sent > 0) result = sent;
    }
    return result;
  }

  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }
}

/** A Deno WebSocket in the neutral connection interface, with the limits Bun enforces natively. */
class DenoConnection implements WebSocketConnection<unknown> {
  readonly topics = new Set<string>();
  /** The code and reason this side closed with (Deno reports 1005 to the closing side). */
  closedWith: { code: number; reason: string } | null = null;
  private drainTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly socket: WebSocket,
    readonly data: unknown,
    readonly remoteAddress: string,
    private readonly handlers: WebSocketHandlers<unknown>,
    private readonly pubsub: Topics,
    private readonly limits: WebSocketDefaults,
  ) {}

  send(text: string): number {
    return this.sendText(text, utf8Length(text));
  }

  sendText(text: string, bytes: number): number {
    if (this.socket.readyState !== WebSocket.OPEN) return 0;
    this.socket.send(text);
    const buffered = this.socket.bufferedAmount;
    if (buffered <= DRAIN_WATERMARK) return bytes;
    if (buffered > this.limits.backpressureLimit) this.close(1013, 'send buffer limit reached');
    else this.watchDrain();
    return -1;
  }

  close(code?: number, reason?: string): void {
    if (this.socket.readyState >= WebSocket.CLOSING) return;
    this.closedWith = { code: code ?? 1000, reason: reason ?? '' };
    this.socket.close(code, reason);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
    this.pubsub.subscribe(topic, this);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.pubsub.unsubscribe(topic, this);
  }

  bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Deno's WebSocket cannot send a ping frame: no pong will come, so endpoints must not take silence for death. */
  ping(): boolean {
    return false;
  }

  /** Called once the socket closed: leaves every topic and stops watching the buffer. */
  release(): void {
    for (const topic of this.topics) this.pubsub.unsubscribe(topic, this);
    this.topics.clear();
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
  }

  private watchDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = setInterval(() => {
      if (this.socket.readyState !== WebSocket.OPEN) return this.release();
      if (this.socket.bufferedAmount > DRAIN_WATERMARK / 2) return;
      clearInterval(this.drainTimer!);
      this.drainTimer = null;
      this.handlers.drain?.(this);
    }, DRAIN_POLL_MS);
  }
}

export const denoRuntime: RuntimeAdapter = {
  name: 'deno',
  version: deno.version.deno,

  async serve(options: ServeOptions): Promise<HttpServer> {
    const pubsub = new Topics();
    const connections = new Set<DenoConnection>();

    function upgrade(request: Request, handlers: WebSocketHandlers<unknown>, data: unknown, remoteAddress: string) {
      let upgraded: { socket: WebSocket; response: Response };
      try {
        // Heartbeats and idle detection are the endpoints' own business (as on Bun).
        upgraded = deno.upgradeWebSocket(request, { idleTimeout: 0 });
      } catch {
        return new Response('Expected a WebSocket upgrade', { status: 400 });
      }
      const { socket, response } = upgraded;
      socket.binaryType = 'arraybuffer';
      const conn = new DenoConnection(socket, data, remoteAddress, handlers, pubsub, options.websocket);
      socket.onopen = () => {
        connections.add(conn);
        guarded(conn, () => handlers.open(conn));
      };
      socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
        const message = typeof event.data === 'string' ? event.data : new Uint8Array(event.data);
        const size = typeof message === 'string' ? utf8Length(message) : message.byteLength;
        if (size > options.websocket.maxPayloadLength) return conn.close(1009, 'Received too big message');
        guarded(conn, () => handlers.message(conn, message));
      };
      socket.onclose = (event: CloseEvent) => {
        connections.delete(conn);
        conn.release();
        const mine = event.code === 1005 ? conn.closedWith : null;
        guarded(conn, () => handlers.close(conn, mine?.code ?? event.code, mine?.reason ?? event.reason));
      };
      return response;
    }

    const server = deno.serve(
      { hostname: options.hostname, port: options.port, onListen() {} },
      function relaykitDeno(request, info) {
        if (request.body !== null) {
          const capped = capBody(request, options.maxRequestBodySize);
          if (capped instanceof Response) return capped;
          request = capped;
        }
        let remote: string | undefined;
        const remoteAddress = () => {
          remote ??= info.remoteAddr.hostname;
          return remote;
        };
        const requestInfo: RequestInfo = {
          get remoteAddress() {
            return remoteAddress();
          },
          upgrade(req, handlers, data) {
            return upgrade(req, handlers as WebSocketHandlers<unknown>, data, remoteAddress());
          },
        };
        const response = options.fetch(request, requestInfo);
        if (response instanceof Promise) return response.then(orServerError);
        return orServerError(response);
      },
    );

    let stopping: Promise<void> | null = null;
    return {
      hostname: server.addr.hostname,
      port: server.addr.port,
      publish(topic, text) {
        return pubsub.publish(topic, text);
      },
      subscriberCount(topic) {
        return pubsub.count(topic);
      },
      async stop(force) {
        // Deno's shutdown() also closes every WebSocket (1001) at once, before the plugins could
        // close theirs with 1012: the listener stays until the forced stop, and the kernel answers
        // requests that still arrive meanwhile with 503.
        if (!force) return;
        // Close frames already queued (plugins close with 1012) must go out before shutdown() closes the rest.
        for (const conn of connections) conn.close(1001, 'server shutting down');
        await settle(() => connections.size === 0, FORCE_STOP_MS / 2);
        stopping ??= server.shutdown();
        // Whatever is still open (a client that never ends its stream) must not keep the process alive.
        server.unref();
        await settle(stopping, FORCE_STOP_MS / 2);
      },
    };
  },

  openSqlite: openNodeSqlite,

  fetchPinned(url: string, address: string, init: RequestInit): Promise<Response> {
    const target = new URL(url);
    // An IP-literal URL already names the checked address.
    if (target.hostname.replace(/^\[|\]$/g, '') === address) return fetch(url, { ...init, redirect: 'manual' });
    return pinnedRequest(target, address, init);
  },
};

/**
 * Deno's fetch cannot connect to one address while sending another name as TLS SNI, so
 * a pinned request goes through node:http(s) with a `lookup` that answers the checked
 * address: Host and the TLS server name (and certificate check) stay the URL's.
 */
function pinnedRequest(target: URL, address: string, init: RequestInit): Promise<Response> {
  const family = address.includes(':') ? 6 : 4;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers)),
        signal: init.signal ?? undefined,
        lookup: (_hostname, options, callback) =>
          (options as { all?: boolean }).all
            ? (callback as (e: null, all: { address: string; family: number }[]) => void)(null, [{ address, family }])
            : callback(null, address, family),
      },
      (response: IncomingMessage) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
        }
        const status = response.statusCode ?? 502;
        const empty = status === 204 || status === 304 || init.method === 'HEAD';
        if (empty) response.resume();
        const body = empty ? null : (Readable.toWeb(response) as unknown as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, statusText: response.statusMessage, headers }));
      },
    );
    request.on('error', reject);
    request.end(typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : undefined);
  });
}

/** Waits for a promise or a condition (polled), at most `ms`. */
async function settle(until: Promise<unknown> | (() => boolean), ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  if (typeof until === 'function') {
    while (!until() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([until, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Runs a handler; an exception closes that connection (1011) instead of taking the process down. */
function guarded(conn: DenoConnection, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error('relaykit: WebSocket handler failed', err);
    conn.close(1011, 'internal error');
  }
}

/** The kernel answers every request; `undefined` only comes from a Bun-style upgrade, which Deno never does. */
function orServerError(response: Response | undefined): Response {
  return response ?? new Response(null, { status: 500 });
}

/**
 * The runtime's hard body cap (Bun's maxRequestBodySize): a declared length over it is
 * refused at once, a chunked body fails once it passes it.
 */
function capBody(request: Request, max: number): Request | Response {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    return Number(declared) > max
      ? new Response('Payload Too Large', { status: 413, headers: { connection: 'close' } })
      : request;
  }
  let seen = 0;
  const counted = (request.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new RangeError(`request body over ${max} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(request, { body: counted, duplex: 'half' } as RequestInit);
}

/** UTF-8 length of a string without encoding it (what Bun's send returns). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}
