import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, connected, next, pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';

let hub: TestHub;
const clients: Pusher[] = [];
const client = (...args: Parameters<typeof pusherClient>) => {
  const c = pusherClient(...args);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  hub = await startPusherHub();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(async () => {
  await hub.stop();
});

interface Stored {
  messages: { id: number; channel: string; type: string; payload: unknown; from: string | null }[];
}

async function stored(channel: string): Promise<Stored['messages']> {
  const res = await hub.request(`/messages?channel=${encodeURIComponent(channel)}`);
  return ((await res.json()) as Stored).messages;
}

describe('the pusher server SDK 5 against the hub', () => {
  test('trigger on several channels stores one Relaykit message per channel before answering', async () => {
    const c = client(hub);
    const a = await subscribed(c, 'news-a');
    const b = await subscribed(c, 'news-b');
    const gotA = next(a, 'headline');
    const gotB = next(b, 'headline');
    const res = await serverSdk(hub).trigger(['news-a', 'news-b'], 'headline', { title: 'Relaykit speaks Pusher' });
    expect(res.status).toBe(200);
    // Committed before the answer: readable right away.
    expect(await stored('pusher.app-1.news-a')).toMatchObject([
      { type: 'headline', payload: { title: 'Relaykit speaks Pusher' }, from: null },
    ]);
    expect(await stored('pusher.app-1.news-b')).toHaveLength(1);
    expect(await gotA).toEqual({ title: 'Relaykit speaks Pusher' });
    expect(await gotB).toEqual({ title: 'Relaykit speaks Pusher' });
  });

  test('triggerBatch delivers every event of the batch', async () => {
    const c = client(hub);
    const channel = await subscribed(c, 'batch-room');
    const seen: unknown[] = [];
    const both = new Promise<void>((resolve) =>
      channel.bind_global((event: string, data: unknown) => {
        if (event.startsWith('pusher')) return;
        seen.push([event, data]);
        if (seen.length === 2) resolve();
      }),
    );
    await serverSdk(hub).triggerBatch([
      { channel: 'batch-room', name: 'one', data: { n: 1 } },
      { channel: 'batch-room', name: 'two', data: 'plain text' },
    ]);
    await both;
    expect(seen).toEqual([
      ['one', { n: 1 }],
      ['two', 'plain text'],
    ]);
  });

  test('socket_id excludes the triggering connection', async () => {
    const sender = client(hub);
    const other = client(hub);
    const senderChannel = await subscribed(sender, 'excl');
    const otherChannel = await subscribed(other, 'excl');
    const echoed: unknown[] = [];
    senderChannel.bind('update', (d: unknown) => echoed.push(d));
    const got = next(otherChannel, 'update');
    await serverSdk(hub).trigger('excl', 'update', { v: 1 }, { socket_id: sender.connection.socket_id });
    expect(await got).toEqual({ v: 1 });
    const probe = next(senderChannel, 'probe');
    await serverSdk(hub).trigger('excl', 'probe', {});
    await probe;
    expect(echoed).toEqual([]);
  });

  test('channel info, channel listing by prefix and presence users', async () => {
    const alice = client(hub, { user: { user_id: 'alice' } });
    const bob = client(hub, { user: { user_id: 'bob' } });
    await subscribed(alice, 'presence-lobby');
    await subscribed(bob, 'presence-lobby');
    await subscribed(alice, 'info-public');
    const sdk = serverSdk(hub);
    const one = await sdk.get({ path: '/channels/presence-lobby', params: { info: 'user_count,subscription_count' } });
    expect(await one.json()).toEqual({ occupied: true, user_count: 2, subscription_count: 2 });
    const empty = await sdk.get({ path: '/channels/nobody-here' });
    expect(await empty.json()).toEqual({ occupied: false });
    const list = await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } });
    expect(await list.json()).toEqual({ channels: { 'presence-lobby': { user_count: 2 } } });
    const all = (await (await sdk.get({ path: '/channels' })).json()) as { channels: Record<string, unknown> };
    expect(Object.keys(all.channels)).toContain('info-public');
    const users = await sdk.get({ path: '/channels/presence-lobby/users' });
    expect(await users.json()).toEqual({ users: [{ id: 'alice' }, { id: 'bob' }] });
    const bad = await sdk.get({ path: '/channels/info-public/users' }).catch((e: { status: number }) => e);
    expect((bad as { status: number }).status).toBe(400);
  });

  test('terminateUserConnections closes every connection of a signed-in user', async () => {
    const dave1 = client(hub, { user: { user_id: 'dave' } });
    const dave2 = client(hub, { user: { user_id: 'dave' } });
    const erin = client(hub, { user: { user_id: 'erin' } });
    for (const c of [dave1, dave2, erin]) {
      await connected(c);
      c.signin();
      await c.user.signinDonePromise;
    }
    const closed = [dave1, dave2].map(
      (c) =>
        new Promise<void>((resolve) =>
          c.connection.bind('state_change', (s: { current: string }) => s.current !== 'connected' && resolve()),
        ),
    );
    await serverSdk(hub).terminateUserConnections('dave');
    await Promise.all(closed);
    expect(erin.connection.state).toBe('connected');
  });

  test('a wrong secret is refused with 401 and Pusher’s error text, and nothing is stored', async () => {
    const forger = serverSdk(hub, { ...APP, secret: 'wrong-secret' });
    const err = (await forger.trigger('forged', 'evil', {}).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(err.status).toBe(401);
    expect(err.body).toContain('Invalid signature');
    expect(JSON.parse(err.body).error.code).toBe('RELAYKIT_ERR_PUSHER_UNAUTHORIZED');
    expect(await stored('pusher.app-1.forged')).toEqual([]);
  });

  test('a stale timestamp is refused with 401', async () => {
    const url = `${hub.url}/apps/${APP.id}/channels?auth_key=${APP.key}&auth_timestamp=1000&auth_version=1.0&auth_signature=x`;
    const res = await fetch(url);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Timestamp expired');
  });

  test('oversized data is 413 and more than 100 channels is 400', async () => {
    const sdk = serverSdk(hub);
    const big = (await sdk.trigger('c', 'big', 'x'.repeat(20_000)).catch((e: unknown) => e)) as { status: number };
    expect(big.status).toBe(413);
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
    // The SDK refuses more than 100 channels itself; its generic `post` signs any body
    // (it JSON-encodes the object, though its types say string).
    const body = { name: 'e', data: '{}', channels: many } as unknown as string;
    const tooMany = (await sdk.post({ path: '/events', body }).catch((e: unknown) => e)) as { status: number };
    expect(tooMany.status).toBe(400);
  });

  test('a Relaykit message posted to a mapped channel reaches pusher-js subscribers', async () => {
    const c = client(hub);
    const channel = await subscribed(c, 'from-relaykit');
    const got = next(channel, 'task.created');
    const res = await hub.request('/messages', {
      method: 'POST',
      json: { channel: 'pusher.app-1.from-relaykit', type: 'task.created', payload: { id: 42 } },
    });
    expect(res.status).toBe(201);
    expect(await got).toEqual({ id: 42 });
  });
});
