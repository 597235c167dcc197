import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';

/**
 * The runtime boundary. Everything Bun- or Deno-specific (the HTTP server, native
 * WebSockets and their pub/sub, the SQLite driver) lives behind this interface, in
 * `src/runtime/`. Plugins and the rest of the kernel only use what is here and
 * web-standard APIs (fetch, Request/Response, ReadableStream, WebCrypto).
 */
export interface RuntimeAdapter {
  /** `bun` or `deno`. */
  readonly name: string;
  /** The runtime's own version (not the Node version it emulates). */
  readonly version: string;
  /** Starts the process's one HTTP server. Its handlers are fixed; the kernel swaps what they forward to. */
  serve(options: ServeOptions): Promise<HttpServer>;
  /** Opens (creating when missing) a SQLite database with the hub's pragmas. */
  openSqlite(path: string): SqliteHandle;
  /**
   * Sends an HTTP request for `url` over a connection to `address`, an IP the caller
   * has already resolved and checked (SSRF guards): the URL's host is not resolved
   * again, while the Host header and the TLS server name (SNI and certificate check)
   * stay the URL's. Redirects are never followed (a 3xx is returned as is).
   */
  fetchPinned(url: string, address: string, init: RequestInit): Promise<Response>;
  /**
   * Makes `specifier` importable with `exports` from modules loaded later (third-party
   * plugins that `import 'relaykit'` from anywhere, also inside the single binary).
   * Optional: Deno resolves `relaykit` through deno.json's import map instead.
   */
  provideModule?(specifier: string, exports: Record<string, unknown>): void;
  /**
   * Whether standard output is a terminal (the log format `auto` is pretty there), told
   * without making Node's `process.stdout` stream, which Bun builds on first access at a
   * cost of a few % of a cold start. Optional: the kernel falls back to `process.stdout.isTTY`.
   */
  stdoutIsTerminal?(): boolean;
}

/** A Drizzle database over SQLite with synchronous transactions (bun:sqlite, node:sqlite). */
export type SqliteDatabase = BaseSQLiteDatabase<'sync', unknown, Record<string, never>>;

/** Runs `run` while the hub's connection issues no statement; resolves when `run` has. */
export type CheckpointGate = (run: () => Promise<void>) => Promise<void>;

/** A value SQLite binds as a parameter. */
export type SqliteValue = string | number | bigint | null | Uint8Array;

export interface SqliteHandle {
  readonly db: SqliteDatabase;
  /** Runs raw SQL statements (pragmas, maintenance). */
  exec(sql: string): void;
  /**
   * Prepares one statement without results once and returns a function that runs it:
   * transaction control on the write path (BEGIN IMMEDIATE, COMMIT) without compiling
   * the SQL on every transaction as `exec` does.
   */
  prepareRun(sql: string): () => void;
  /**
   * Prepares one query once and returns a function that runs it with positional
   * parameters and reads its rows as arrays of column values, in the query's column
   * order: the hottest reads, without a query builder's per-call work.
   */
  prepareValues(sql: string): (...params: SqliteValue[]) => unknown[][];
  /** Closes the connection, after the WAL checkpointer's worker (src/runtime/sqlite-checkpointer.ts) has stopped. */
  close(): Promise<void>;
  /**
   * Tells the WAL checkpointer how to keep this connection idle while a checkpoint
   * holds the write lock (the store's queue): without a gate, the connection's own
   * writers wait for the lock in the driver's busy timeout.
   */
  setCheckpointGate?(gate: CheckpointGate): void;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  /** Largest request body the server accepts; larger ones are refused before being buffered. */
  maxRequestBodySize: number;
  /** Handles every HTTP request, including WebSocket upgrades (through `info.upgrade`). */
  fetch(request: Request, info: RequestInfo): Response | Promise<Response | undefined> | undefined;
  /** Defaults for WebSocket connections. */
  websocket: WebSocketDefaults;
}

export interface WebSocketDefaults {
  /** Hard cap on one incoming frame, enforced by the runtime; endpoints may enforce a lower one. */
  maxPayloadLength: number;
  /** Hard cap on buffered outgoing bytes per connection before the runtime closes it. */
  backpressureLimit: number;
}

export interface RequestInfo {
  /** The client's address, when the runtime knows it. */
  readonly remoteAddress: string;
  /**
   * Upgrades the request to a WebSocket served by `handlers`. Returns the response to
   * send (Deno) or `undefined` when the runtime answered the upgrade itself (Bun).
   * Returns a 400 response when the request is not a valid upgrade.
   */
  upgrade<T>(request: Request, handlers: WebSocketHandlers<T>, data: T): Response | undefined;
}

/** What an endpoint does with its WebSocket connections. */
export interface WebSocketHandlers<T> {
  open(ws: WebSocketConnection<T>): void;
  message(ws: WebSocketConnection<T>, data: string | Uint8Array): void;
  close(ws: WebSocketConnection<T>, code: number, reason: string): void;
  /** The connection's send buffer has drained below the runtime's watermark. */
  drain?(ws: WebSocketConnection<T>): void;
  /** A pong arrived (the answer to `ping()`): the peer is alive even when it sends nothing else. */
  pong?(ws: WebSocketConnection<T>): void;
}

/** A runtime-neutral WebSocket connection. */
export interface WebSocketConnection<T> {
  readonly data: T;
  readonly remoteAddress: string;
  /**
   * Sends a text frame. Returns the bytes sent, -1 when the frame was queued under
   * backpressure, or 0 when the connection is closed (nothing sent).
   */
  send(text: string): number;
  close(code?: number, reason?: string): void;
  /** Joins a pub/sub topic: `HttpServer.publish` to it reaches this connection. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Bytes queued for sending. */
  bufferedAmount(): number;
  /**
   * Sends a ping frame. Returns false when the runtime cannot (no `pong` will ever be
   * reported for this connection: endpoints must not take silence for death).
   */
  ping(): boolean;
}

/** What the runtime's own router calls for a request it matched: the same contract as `ServeOptions.fetch`. */
export type NativeRouteHandler = (
  request: Request,
  info: RequestInfo,
) => Response | Promise<Response | undefined> | undefined;

/** GET handlers by route template (`/messages/:id`: static segments and `:name` parameters). */
export type NativeRoutes = Readonly<Record<string, NativeRouteHandler>>;

export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /**
   * Optional: serves GET requests whose path matches one of `routes` from the runtime's
   * own router, without `fetch`, replacing the set given before (`{}`: none). The router
   * sets `request.params`; it may hand HEAD requests for those paths to the same
   * handlers. A runtime without such a router leaves this out: `fetch` sees everything.
   */
  nativeRoutes?(routes: NativeRoutes): void;
  /**
   * Sends `text` to every connection subscribed to `topic` (one call, native fan-out on Bun).
   * Returns the bytes sent, -1 when at least one subscriber's send buffer was not empty (the
   * frame was queued: check their `bufferedAmount()`), or 0 when nobody received it.
   */
  publish(topic: string, text: string): number;
  /** How many connections are subscribed to `topic`. */
  subscriberCount(topic: string): number;
  /** Stops accepting new connections; with `force`, closes the open ones too. */
  stop(force?: boolean): Promise<void>;
}
