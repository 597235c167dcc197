import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ids, TestClient } from './client.ts';

let t: TestHub;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t?.stop();
});

async function client(query: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.ready(t.url, query);
  clients.push(c);
  return c;
}

async function post(body: Record<string, unknown>): Promise<number> {
  const res = await t.request('/messages', { method: 'POST', json: { type: 'note', payload: null, ...body } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

describe('ws-channels subscriptions', () => {
  test('a subscriber receives a message posted over HTTP, then nothing after unsubscribing', async () => {
    t = await startTestHub();
    const c = await client();
    const sub = await c.request({ type: 'subscribe', channels: ['orders'] });
    expect(sub).toMatchObject({ type: 'subscribed', channels: ['orders'] });

    const id = await post({ channel: 'orders', type: 'order.created', payload: { n: 1 }, from: 'shop' });
    const [event] = await c.waitForEvents(1, 'orders');
    expect(event).toMatchObject({
      type: 'event',
      channel: 'orders',
      id,
      event: 'order.created',
      data: { n: 1 },
      from: 'shop',
    });
    expect(typeof event.timestamp).toBe('string');

    expect(await c.request({ type: 'unsubscribe', channels: ['orders'] })).toMatchObject({
      type: 'unsubscribed',
      channels: ['orders'],
    });
    await post({ channel: 'orders' });
    // A ping round trip after the post: anything sent live would have arrived before the pong.
    await c.request({ type: 'ping' });
    await t.hub.messages.flush();
    expect((await c.request({ type: 'ping' })).type).toBe('pong');
    expect(ids(c.events('orders'))).toEqual([id]);
  });

  test('only subscribers of a channel receive its messages', async () => {
    t = await startTestHub();
    const a = await client();
    const b = await client();
    await a.request({ type: 'subscribe', channels: ['a'] });
    await b.request({ type: 'subscribe', channels: ['b'] });
    const idA = await post({ channel: 'a' });
    const idB = await post({ channel: 'b' });
    expect(ids(await a.waitForEvents(1))).toEqual([idA]);
    expect(ids(await b.waitForEvents(1))).toEqual([idB]);
    await a.request({ type: 'ping' });
    expect(ids(a.events())).toEqual([idA]);
  });

  test('a message addressed to a client id reaches every connection of that client, once', async () => {
    t = await startTestHub();
    const bob1 = await client({ client_id: 'bob' });
    const bob2 = await client({ client_id: 'bob' });
    const alice = await client({ client_id: 'alice' });
    await bob1.request({ type: 'subscribe', channels: ['room'] });
    await alice.request({ type: 'subscribe', channels: ['room'] });
    const direct = await post({ to: 'bob', type: 'dm' });
    const inRoom = await post({ to: 'bob', channel: 'room', type: 'mention' });
    expect(ids(await bob1.waitForEvents(2))).toEqual([direct, inRoom]);
    expect(ids(await bob2.waitForEvents(2))).toEqual([direct, inRoom]);
    expect(ids(await alice.waitForEvents(1))).toEqual([inRoom]);
    await Promise.all([bob1, bob2, alice].map((c) => c.request({ type: 'ping' })));
    expect(bob1.events()).toHaveLength(2);
    expect(bob2.events()).toHaveLength(2);
    expect(alice.events()).toHaveLength(1);
  });

  test('get_subscriptions lists the channels; request ids are echoed', async () => {
    t = await startTestHub();
    const c = await client();
    await c.request({ type: 'subscribe', channels: ['x', 'y', 'x'] });
    const subs = await c.request({ type: 'get_subscriptions' });
    expect(subs).toMatchObject({ type: 'subscriptions', channels: ['x', 'y'] });
    c.send({ type: 'ping', id: 42 });
    expect((await c.next('pong', (f) => f.id === 42)).id).toBe(42);
  });

  test('connected tells the client its id and how it authenticated', async () => {
    t = await startTestHub();
    const c = await TestClient.connect(t.url, { client_id: 'agent-7' });
    clients.push(c);
    const connected = await c.next('connected');
    expect(connected).toMatchObject({ client_id: 'agent-7', auth: 'anonymous', system: false, last_id: 0 });
  });
});
