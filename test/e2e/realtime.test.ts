/**
 * The realtime plugins end to end on every runtime: ws-channels and sse, over real
 * sockets against a hub child process, including resume across a hub restart.
 */
import { afterEach, expect, test } from 'bun:test';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { type E2EHub, forEachRuntime, send as sendAs, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-realtime-admin';
const SECRET = 'e2e-realtime-jwt-secret-0123456789';
const CONFIG = `watch: false\nauth:\n  adminToken: ${TOKEN}\n  jwt:\n    secret: ${SECRET}\nplugins:\n  sse:\n    retryMs: 200\n`;

/** Publishing needs a credential once JWTs are configured: the tests publish as admin. */
const send = (hub: E2EHub, message: Record<string, unknown>) => sendAs(hub, message, TOKEN);

interface Frame {
  type: string;
  [key: string]: unknown;
}

/** A WebSocket client that queues JSON frames. */
async function wsClient(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const closed = new Promise<number>((resolve) => {
    ws.onclose = (e) => resolve(e.code);
  });
  ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('WebSocket failed'));
  });
  const next = async (type: string): Promise<Frame> => {
    await waitFor(() => frames.some((f) => f.type === type), 5000, `a ${type} frame`);
    const i = frames.findIndex((f) => f.type === type);
    return frames.splice(i, 1)[0];
  };
  return { ws, frames, closed, next, send: (frame: object) => ws.send(JSON.stringify(frame)) };
}

const wsUrl = (hub: E2EHub, query = '') => `${hub.url.replace('http', 'ws')}/ws${query}`;
const events = (frames: Frame[]) => frames.filter((f) => f.type === 'event').map((f) => f.data);

forEachRuntime('realtime plugins', (runtime) => {
  const hubs: E2EHub[] = [];
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    for (const hub of hubs.splice(0)) await hub.dispose();
  });
  const start = async (options: { dir?: string; port?: number } = {}) => {
    const hub = await startHub(runtime, { config: CONFIG, ...options });
    hubs.push(hub);
    return hub;
  };

  test('ws-channels: a subscriber receives a posted message with its event-log id, then nothing after unsubscribing', async () => {
    const hub = await start();
    const c = await wsClient(wsUrl(hub));
    closers.push(() => c.ws.close());
    expect((await c.next('connected')).client_id).toBeTruthy();
    c.send({ type: 'subscribe', id: 1, channels: ['orders'] });
    expect(await c.next('subscribed')).toMatchObject({ id: 1, channels: ['orders'] });
    const sent = await send(hub, { channel: 'orders', type: 'order.created', payload: { n: 1 } });
    const event = await c.next('event');
    expect(event).toMatchObject({ channel: 'orders', id: sent.id, event: 'order.created', data: { n: 1 } });
    c.send({ type: 'unsubscribe', id: 2, channels: ['orders'] });
    await c.next('unsubscribed');
    await send(hub, { channel: 'orders', type: 'order.created', payload: { n: 2 } });
    c.send({ type: 'ping', id: 3 });
    await c.next('pong');
    expect(events(c.frames)).toEqual([]);
  });

  test('ws-channels: a client resumes with `since` across a hub restart and gets exactly what it missed, in order', async () => {
    const first = await start();
    const c = await wsClient(wsUrl(first));
    await c.next('connected');
    c.send({ type: 'subscribe', channels: ['jobs'] });
    await c.next('subscribed');
    const seen = await send(first, { channel: 'jobs', type: 'job', payload: 0 });
    expect((await c.next('event')).id).toBe(seen.id);
    c.ws.close();
    for (let i = 1; i <= 3; i++) await send(first, { channel: 'jobs', type: 'job', payload: i });
    const port = Number(new URL(first.url).port);
    await first.stop();
    const second = await start({ dir: first.dir, port });
    for (let i = 4; i <= 5; i++) await send(second, { channel: 'jobs', type: 'job', payload: i });

    const r = await wsClient(wsUrl(second));
    closers.push(() => r.ws.close());
    await r.next('connected');
    r.send({ type: 'subscribe', channels: ['jobs'], since: seen.id });
    expect(await r.next('subscribed')).toMatchObject({ recovered: true });
    await waitFor(() => events(r.frames).length >= 5, 5000, 'the missed events');
    await send(second, { channel: 'jobs', type: 'job', payload: 6 });
    await waitFor(() => events(r.frames).length >= 6, 5000, 'the live event');
    expect(events(r.frames)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('ws-channels: JWT channel claims are enforced and a bad token is closed with 4001', async () => {
    const hub = await start();
    const jwt = await new SignJWT({ channels: ['team.*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('agent-1')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const c = await wsClient(wsUrl(hub, `?token=${jwt}`));
    closers.push(() => c.ws.close());
    expect(await c.next('connected')).toMatchObject({ client_id: 'agent-1', auth: 'jwt' });
    c.send({ type: 'subscribe', id: 'ok', channels: ['team.red'] });
    expect(await c.next('subscribed')).toMatchObject({ id: 'ok' });
    c.send({ type: 'subscribe', id: 'no', channels: ['other'] });
    expect(await c.next('error')).toMatchObject({ id: 'no' });

    const bad = await wsClient(wsUrl(hub, '?token=not-a-jwt'));
    expect(await bad.closed).toBe(4001);
  });

  test('sse: an EventSource gets channel messages with ids, and reconnects by itself across a hub restart without loss', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    const got: Array<{ id: string; type: string; n: unknown }> = [];
    const source = new EventSource(`${first.url}/stream/events?channels=feed`);
    closers.push(() => source.close());
    source.addEventListener('tick', (e) => got.push({ id: e.lastEventId, type: e.type, n: JSON.parse(e.data).data }));
    await new Promise<void>((resolve) =>
      source.addEventListener('relaykit.connected', () => resolve(), { once: true }),
    );
    await send(first, { channel: 'feed', type: 'tick', payload: 1 });
    await waitFor(() => got.length === 1, 5000, 'the first event');
    expect(Number(got[0].id)).toBeGreaterThan(0);

    await first.stop();
    const second = await start({ dir: first.dir, port });
    for (let i = 2; i <= 4; i++) await send(second, { channel: 'feed', type: 'tick', payload: i });
    await waitFor(() => got.length >= 4, 10_000, 'the events after the restart');
    expect(got.map((g) => g.n)).toEqual([1, 2, 3, 4]);
    expect(new Set(got.map((g) => g.id)).size).toBe(4);
  });

  test('hot swap: reconfiguring ws-channels closes its sockets with 1012 while SSE streams keep receiving', async () => {
    const hub = await start();
    const c = await wsClient(wsUrl(hub));
    await c.next('connected');
    const got: unknown[] = [];
    const source = new EventSource(`${hub.url}/stream/events?channels=swap`);
    closers.push(() => source.close());
    source.addEventListener('note', (e) => got.push(JSON.parse(e.data).data));
    await new Promise<void>((resolve) =>
      source.addEventListener('relaykit.connected', () => resolve(), { once: true }),
    );

    const res = await hub.request('/admin/plugins/ws-channels', {
      method: 'PATCH',
      json: { options: { heartbeat: { intervalMs: 20_000 } } },
      token: TOKEN,
    });
    expect(res.status).toBe(200);
    expect(await c.closed).toBe(1012);
    await send(hub, { channel: 'swap', type: 'note', payload: 'after' });
    await waitFor(() => got.length === 1, 5000, 'the SSE event after the swap');
    expect(got).toEqual(['after']);
  });
});
