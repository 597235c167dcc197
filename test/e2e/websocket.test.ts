import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, PROBE_PLUGIN, send, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-websocket-admin';
const CONFIG = `watch: false\nserver:\n  maxWebSocketFrameBytes: 1024\nauth:\n  adminToken: ${TOKEN}\nplugins:\n  probe:\n    module: ${PROBE_PLUGIN}\n`;

interface Client {
  ws: WebSocket;
  /** Resolves with the next frame (already received ones first). */
  next(): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket to the hub and queues what it receives. */
function connect(hub: E2EHub, query: string): Promise<Client> {
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/probe/ws${query}`);
  const frames: string[] = [];
  const waiting: Array<(frame: string) => void> = [];
  ws.onmessage = (event) => {
    const frame = typeof event.data === 'string' ? event.data : `<${typeof event.data}>`;
    const waiter = waiting.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  const client: Client = {
    ws,
    closed,
    next: () => {
      const frame = frames.shift();
      if (frame !== undefined) return Promise.resolve(frame);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame within 5s')), 5000);
        waiting.push((f) => {
          clearTimeout(timer);
          resolve(f);
        });
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(client);
    ws.onerror = () => reject(new Error('WebSocket failed to open'));
  });
}

forEachRuntime('WebSocket endpoints through the runtime adapter', (runtime) => {
  let hub: E2EHub;
  const clients: Client[] = [];
  const open = async (query: string) => {
    const client = await connect(hub, query);
    clients.push(client);
    return client;
  };
  const subscribers = async (channel: string) =>
    (await (await hub.request(`/probe/subscribers?channel=${channel}`)).json()).count;
  const closes = async () => (await hub.request('/probe/closes')).json();

  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.close();
  });
  afterAll(() => hub.dispose());

  test('a connection opens with the upgrade’s data and echoes text and binary frames', async () => {
    const c = await open('?channel=echo');
    expect(JSON.parse(await c.next())).toEqual({
      hello: 'echo',
      remote: '127.0.0.1',
      channel: 'echo',
      remoteAddress: '127.0.0.1',
      subject: null,
    });
    c.ws.send('hi');
    expect(await c.next()).toBe('echo:hi');
    expect(JSON.parse(await c.next())).toEqual({ sentBytes: 7 });
    c.ws.send('héllo 👋');
    expect(await c.next()).toBe('echo:héllo 👋');
    expect(JSON.parse(await c.next())).toEqual({ sentBytes: new TextEncoder().encode('echo:héllo 👋').byteLength });
    c.ws.send(new Uint8Array([1, 2, 3]));
    expect(await c.next()).toBe('binary:3:1,2,3');
  });

  test('publish reaches every connection subscribed to the channel and nobody else', async () => {
    const [a1, a2, b1] = await Promise.all([open('?channel=a'), open('?channel=a'), open('?channel=b')]);
    for (const c of [a1, a2, b1]) await c.next();
    expect(await subscribers('a')).toBe(2);
    expect(await subscribers('b')).toBe(1);

    const sent = await send(hub, { channel: 'a', type: 'news', payload: { n: 1 } });
    expect(JSON.parse(await a1.next())).toEqual({ id: sent.id, payload: { n: 1 } });
    expect(JSON.parse(await a2.next())).toEqual({ id: sent.id, payload: { n: 1 } });
    const forB = await send(hub, { channel: 'b', type: 'news', payload: { n: 2 } });
    expect(JSON.parse(await b1.next())).toEqual({ id: forB.id, payload: { n: 2 } });

    a2.ws.send('leave');
    expect(await a2.next()).toBe('left');
    expect(await subscribers('a')).toBe(1);
    a1.ws.close();
    await a1.closed;
    await waitFor(async () => (await subscribers('a')) === 0, 3000, 'subscriber count 0');
    const last = await send(hub, { channel: 'a', type: 'news', payload: { n: 3 } });
    const afterLast = await send(hub, { channel: 'b', type: 'news', payload: { n: 4 } });
    expect(JSON.parse(await b1.next()).id).toBe(afterLast.id);
    expect(last.id).toBeLessThan(afterLast.id);
  });

  test('close codes: the server’s reach the client and the client’s reach the server', async () => {
    const server = await open('?channel=closing-server');
    await server.next();
    server.ws.send('close:4000');
    expect(await server.closed).toEqual({ code: 4000, reason: 'asked to' });

    const client = await open('?channel=closing-client');
    await client.next();
    client.ws.close(4001, 'bye');
    await waitFor(
      async () => (await closes()).some((c: { channel: string }) => c.channel === 'closing-client'),
      3000,
      'server close handler',
    );
    const seen = await closes();
    expect(seen).toContainEqual({ channel: 'closing-server', code: 4000, reason: 'asked to' });
    expect(seen).toContainEqual({ channel: 'closing-client', code: 4001, reason: 'bye' });
  });

  test('a handler that throws closes only its own connection with 1011; the hub keeps serving', async () => {
    const bystander = await open('?channel=bystander');
    await bystander.next();
    const victim = await open('?channel=thrower');
    await victim.next();
    victim.ws.send('throw');
    expect((await victim.closed).code).toBe(1011);
    bystander.ws.send('still here');
    expect(await bystander.next()).toContain('still here');
    expect((await hub.request('/messages?limit=1')).status).toBe(200);
  });

  test('an upgrade the endpoint refuses never opens, and no endpoint means no socket', async () => {
    await expect(connect(hub, '')).rejects.toThrow('failed to open');
    const elsewhere = new WebSocket(`${hub.url.replace('http', 'ws')}/no-such-endpoint`);
    const outcome = await new Promise<string>((resolve) => {
      elsewhere.onopen = () => resolve('open');
      elsewhere.onerror = () => resolve('error');
    });
    expect(outcome).toBe('error');
  });

  test('a frame over server.maxWebSocketFrameBytes closes the connection with 1009', async () => {
    const c = await open('?channel=big');
    await c.next();
    c.ws.send('x'.repeat(2000));
    expect((await c.closed).code).toBe(1009);
  });

  test('a burst of large frames arrives complete and in order', async () => {
    const c = await open('?channel=burst');
    await c.next();
    c.ws.send('burst:40x100000');
    for (let i = 0; i < 40; i++) expect((await c.next()).length).toBe(100_000);
    const summary = JSON.parse(await c.next());
    expect(summary.burst).toBe(40);
    expect(summary.buffered).toBeGreaterThanOrEqual(0);
  });

  test('reconfiguring the plugin closes its connections with 1012; new ones get the new options', async () => {
    const c = await open('?channel=swap');
    await c.next();
    const res = await hub.request('/admin/plugins/probe', {
      method: 'PATCH',
      json: { options: { prefix: 'new:' } },
      token: TOKEN,
    });
    expect(res.status).toBe(200);
    expect(await c.closed).toEqual({ code: 1012, reason: 'service restart' });
    const again = await open('?channel=swap');
    await again.next();
    again.ws.send('hi');
    expect(await again.next()).toBe('new:hi');
  });
});

forEachRuntime('WebSocket connections at shutdown', (runtime) => {
  test('SIGTERM closes open connections with 1012 and the hub exits 0', async () => {
    const hub = await startHub(runtime, { config: CONFIG });
    try {
      const c = await connect(hub, '?channel=bye');
      await c.next();
      const exit = hub.stop('SIGTERM');
      expect(await c.closed).toEqual({ code: 1012, reason: 'service restart' });
      expect(await exit).toBe(0);
    } finally {
      await hub.dispose();
    }
  });
});
