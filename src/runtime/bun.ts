import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BunRequest, Server, ServerWebSocket } from 'bun';
import { drizzle } from 'drizzle-orm/bun-sqlite';
import { sqliteHandle } from './sqlite-checkpointer.ts';
import { SQLITE_PRAGMAS } from './sqlite-pragmas.ts';
import type {
  HttpServer,
  RequestInfo,
  RuntimeAdapter,
  ServeOptions,
  SqliteDatabase,
  SqliteHandle,
  WebSocketConnection,
  WebSocketHandlers,
} from './types.ts';

/**
 * IP-literal URLs `fetchPinned` has seen, with their host: a webhook endpoint's URL is
 * sent to again and again, and parsing it at every attempt showed in the worker's
 * profile. Bounded: cleared when full. The mapping never changes, so sharing it is safe.
 */
const literalHosts = new Map<string, string>();
const LITERAL_HOSTS_KEPT = 1024;

interface Socket {
  handlers: WebSocketHandlers<unknown>;
  conn: BunConnection;
}

/** Wraps a Bun ServerWebSocket in the neutral connection interface. */
class BunConnection implements WebSocketConnection<unknown> {
  constructor(
    private readonly ws: ServerWebSocket<Socket>,
    readonly data: unknown,
  ) {}
  get remoteAddress(): string {
    return this.ws.remoteAddress;
  }
  send(text: string): number {
    return this.ws.send(text);
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
  subscribe(topic: string): void {
    this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic);
  }
  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }
  ping(): boolean {
    this.ws.ping();
    return true;
  }
}

/**
 * Runs an endpoint's handler; one that throws closes only its own connection
 * (1011, as Deno's adapter does) instead of taking the process down.
 */
function guarded(ws: ServerWebSocket<Socket>, handler: () => void): void {
  try {
    handler();
  } catch (err) {
    console.error('relaykit: a WebSocket handler threw; closing its connection', err);
    try {
      ws.close(1011, 'internal error');
    } catch {
      // already closed
    }
  }
}

/** A request's origin on Bun's server: a class, so a request pays one small allocation for it. */
class BunRequestInfo implements RequestInfo {
  constructor(
    private readonly request: Request,
    private readonly srv: Server<Socket>,
  ) {}

  /** Looked up only when asked for: most requests never need it. */
  get remoteAddress(): string {
    return this.srv.requestIP(this.request)?.address ?? '';
  }

  upgrade<T>(req: Request, handlers: WebSocketHandlers<T>, data: T): Response | undefined {
    const socket = { handlers, data } as unknown as Socket;
    if (this.srv.upgrade(req, { data: socket })) return undefined;
    return new Response('Expected a WebSocket upgrade', { status: 400 });
  }
}

/** Virtual modules already registered with Bun (once per process). */
const provided = new Set<string>();

export const bunRuntime: RuntimeAdapter = {
  name: 'bun',
  version: Bun.version,

  async serve(options: ServeOptions): Promise<HttpServer> {
    const infoOf = (request: Request, srv: Server<Socket>): RequestInfo => new BunRequestInfo(request, srv);
    const fetch = (request: Request, srv: Server<Socket>) =>
      options.fetch(request, infoOf(request, srv)) as Response | Promise<Response>;
    const server = Bun.serve<Socket>({
      hostname: options.hostname,
      port: options.port,
      maxRequestBodySize: options.maxRequestBodySize,
      // A second hub on a taken port must fail, not silently share it (SO_REUSEPORT).
      reusePort: false,
      // Long-lived SSE streams must not be cut by the idle timer; heartbeats keep them alive.
      idleTimeout: 0,
      development: false,
      fetch,
      websocket: {
        maxPayloadLength: options.websocket.maxPayloadLength,
        backpressureLimit: options.websocket.backpressureLimit,
        closeOnBackpressureLimit: true,
        // Heartbeats and idle detection are the endpoints' own business.
        idleTimeout: 0,
        sendPings: false,
        perMessageDeflate: false,
        open(ws) {
          const socket = ws.data as Socket & { data: unknown };
          socket.conn = new BunConnection(ws, socket.data);
          guarded(ws, () => socket.handlers.open(socket.conn));
        },
        message(ws, message) {
          const socket = ws.data;
          const data = typeof message === 'string' ? message : new Uint8Array(message);
          guarded(ws, () => socket.handlers.message(socket.conn, data));
        },
        close(ws, code, reason) {
          const socket = ws.data;
          guarded(ws, () => socket.handlers.close(socket.conn, code, reason));
        },
        drain(ws) {
          const socket = ws.data;
          guarded(ws, () => socket.handlers.drain?.(socket.conn));
        },
        pong(ws) {
          const socket = ws.data;
          guarded(ws, () => socket.handlers.pong?.(socket.conn));
        },
      },
    });
    return {
      hostname: server.hostname ?? options.hostname,
      port: server.port ?? options.port,
      publish(topic, text) {
        return server.publish(topic, text);
      },
      subscriberCount(topic) {
        return server.subscriberCount(topic);
      },
      nativeRoutes(routes) {
        const table: Record<string, { GET: (request: BunRequest, srv: Server<Socket>) => unknown }> = {};
        for (const [template, handler] of Object.entries(routes)) {
          table[encodeURI(template)] = { GET: (request, srv) => handler(request, infoOf(request, srv)) };
        }
        // The fetch handler stays the same; open connections and WebSockets are untouched.
        server.reload({ fetch, routes: table } as unknown as Parameters<typeof server.reload>[0]);
      },
      async stop(force) {
        await server.stop(force);
      },
    };
  },

  stdoutIsTerminal(): boolean {
    // isatty(1) from Bun's tty binding: `process.stdout` (a Node stream) and `node:tty` each cost milliseconds to load.
    const binding = (process as unknown as { binding?: (name: string) => { isTTY?: (fd: number) => boolean } }).binding;
    try {
      const isTTY = binding?.('tty_wrap').isTTY;
      if (typeof isTTY === 'function') return isTTY(1);
    } catch {
      // No such binding in this Bun: ask the stream.
    }
    return Boolean(process.stdout.isTTY);
  },

  provideModule(specifier: string, exports: Record<string, unknown>): void {
    if (provided.has(specifier)) return;
    provided.add(specifier);
    Bun.plugin({
      name: `relaykit-module:${specifier}`,
      setup(build) {
        build.module(specifier, () => ({ exports, loader: 'object' }));
      },
    });
  },

  openSqlite(path: string): SqliteHandle {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const client = new Database(path, { create: true, strict: true });
    for (const pragma of SQLITE_PRAGMAS) client.exec(pragma);
    return sqliteHandle(client, path, drizzle({ client }) as unknown as SqliteDatabase, 'bun:sqlite');
  },

  fetchPinned(url: string, address: string, init: RequestInit): Promise<Response> {
    // An IP-literal URL already names the checked address (the common case is known without parsing the URL).
    if (literalHosts.get(url) === address) return fetch(url, { ...init, redirect: 'manual' });
    const target = new URL(url);
    const hostname = target.hostname.replace(/^\[|\]$/g, '');
    if (hostname === address) {
      if (literalHosts.size >= LITERAL_HOSTS_KEPT) literalHosts.clear();
      literalHosts.set(url, hostname);
      return fetch(url, { ...init, redirect: 'manual' });
    }
    // Bun's fetch connects to the URL's host and sends the Host header and TLS server
    // name given here, so the connection goes to the checked address. Bun-specific TLS
    // options a caller passed (a custom CA in tests) are kept.
    const headers = new Headers(init.headers);
    headers.set('host', target.host);
    let tls = (init as { tls?: Record<string, unknown> }).tls;
    if (target.protocol === 'https:' && !isIpLiteral(hostname)) tls = { ...tls, serverName: hostname };
    target.hostname = address.includes(':') ? `[${address}]` : address;
    return fetch(target, { ...init, headers, redirect: 'manual', ...(tls ? { tls } : {}) });
  },
};

/**
 * Whether a hostname the URL parser wrote is an IP address: it writes IPv6 without its
 * brackets (so with colons, which no name has) and IPv4 in dotted decimal. Not node:net's
 * `isIP`: node:net costs every start a few ms to load, for this one test.
 */
function isIpLiteral(hostname: string): boolean {
  return hostname.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}
