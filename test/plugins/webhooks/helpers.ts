import { Database } from 'bun:sqlite';
import type { Server } from 'bun';
import { FIRST_PASS_DELAY_MS } from '../../../plugins/webhooks/retention.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import type { PluginDefinition } from '../../../src/kernel/plugin.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

export const ADMIN = 'webhooks-admin-token';

/** Allows the loopback receivers of the tests through the SSRF guard. */
export const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export interface Received {
  headers: Headers;
  body: string;
  path: string;
  /** Real time it arrived (ms). */
  at: number;
}

export type Responder = (request: Request, index: number, body: string) => Response | Promise<Response>;

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Changes how the next requests are answered. */
  respond(responder: Responder): void;
  stop(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every request (204 by default). */
export function startReceiver(responder: Responder = () => new Response(null, { status: 204 })): Receiver {
  const requests: Received[] = [];
  let current = responder;
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const body = await request.text();
      const index = requests.length;
      requests.push({ headers: request.headers, body, path: new URL(request.url).pathname, at: Date.now() });
      return current(request, index, body);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port as number,
    requests,
    respond(next) {
      current = next;
    },
    stop: () => server.stop(true),
  };
}

/** A response that waits until `release` is called. */
export function gate(): { wait: Promise<void>; release: () => void } {
  let release = () => {};
  const wait = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { wait, release };
}

export interface WebhookHub extends TestHub {
  clock: ManualClock;
  /** Registers an endpoint; returns its JSON (with the secret). */
  endpoint(body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string; secret: string }>;
  /** An admin request. */
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  send(message: Record<string, unknown>): Promise<{ id: number }>;
  /** Deliveries of an endpoint (all pages). */
  deliveries(query?: string): Promise<Array<Record<string, unknown> & { id: number; status: string }>>;
}

/** A hub with the webhooks plugin, a ManualClock (at real time unless given) and loopback allowed. */
export async function startWebhookHub(
  options: {
    webhooks?: Record<string, unknown>;
    clock?: ManualClock;
    dir?: string;
    plugins?: readonly PluginDefinition[];
    /** A store URL instead of the folder's SQLite file (a PostgreSQL test database). */
    storageUrl?: string;
    /**
     * Moves the clock past the retention's first pass once the hub has started, as a
     * second after a real start (default): false leaves it due, for tests of that pass.
     */
    firstPass?: boolean;
  } = {},
): Promise<WebhookHub> {
  const clock = options.clock ?? new ManualClock(Date.now());
  const { security, ...rest } = (options.webhooks ?? {}) as { security?: Record<string, unknown> };
  const t = await startTestHub({
    clock,
    dir: options.dir,
    plugins: options.plugins,
    overrides: {
      ...(options.storageUrl ? { storage: { url: options.storageUrl } } : {}),
      auth: { adminToken: ADMIN },
      plugins: { webhooks: { security: { allowNetworks: LOOPBACK, ...security }, ...rest } },
    },
  });
  if (options.firstPass !== false) await clock.tick(FIRST_PASS_DELAY_MS);
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.request(path, { ...init, token: ADMIN });
  return {
    ...t,
    clock,
    admin,
    async endpoint(body) {
      const res = await admin('/webhooks/endpoints', { method: 'POST', json: body });
      const json = await res.json();
      if (res.status !== 201) throw new Error(`endpoint not created: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    async send(message) {
      const res = await t.request('/messages', { method: 'POST', json: { type: 'n', payload: null, ...message } });
      if (res.status !== 201) throw new Error(`message not sent: ${res.status}`);
      return res.json();
    },
    async deliveries(query = '') {
      const res = await admin(`/webhooks/deliveries?limit=1000${query ? `&${query}` : ''}`);
      return (await res.json()).deliveries;
    },
  };
}

/** Rows of the hub's database, read directly (works while the plugin and its routes are off). */
export function query<T = Record<string, unknown>>(dbPath: string, sql: string): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Waits (polling real time) until the receiver has `n` requests. */
export function received(receiver: Receiver, n: number, ms = 5000): Promise<void> {
  return waitFor(() => receiver.requests.length >= n, ms, `${n} webhook requests (got ${receiver.requests.length})`);
}

/** Lets the worker's immediate callbacks and in-flight I/O run (no schedule is waited for). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 1));
}
