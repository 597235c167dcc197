import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, connected, next, OTHER, pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';

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

/** Collects every event of a name on a channel. */
function collect(channel: { bind(event: string, cb: (data: unknown) => void): unknown }, event: string): unknown[] {
  const seen: unknown[] = [];
  channel.bind(event, (data: unknown) => seen.push(data));
  return seen;
}

describe('pusher-js 8 against the hub (Bun)', () => {
  test('public channel: an event triggered through the HTTP API arrives with its data', async () => {
    const c = client(hub);
    await connected(c);
    expect(c.connection.socket_id).toMatch(/^\d+\.\d+$/);
    const channel = await subscribed(c, 'chat');
    const got = next<{ text: string }>(channel, 'greeting');
    await serverSdk(hub).trigger('chat', 'greeting', { text: 'hello' });
    expect(await got).toEqual({ text: 'hello' });
  });

  test('private channel: subscribes with a valid signature and receives events', async () => {
    const c = client(hub);
    const channel = await subscribed(c, 'private-orders');
    const got = next(channel, 'order.shipped');
    await serverSdk(hub).trigger('private-orders', 'order.shipped', { id: 7 });
    expect(await got).toEqual({ id: 7 });
  });

  test('a forged channel signature is refused with pusher:subscription_error', async () => {
    const forger = serverSdk(hub, { ...APP, secret: 'not-the-secret' });
    const c = client(hub, { sdk: forger });
    const err = await subscribed(c, 'private-orders').then(
      () => null,
      (e: { detail: unknown }) => e.detail,
    );
    expect(err).toMatchObject({ type: 'AuthError', status: 401 });
    // The connection stays usable for public channels.
    await subscribed(c, 'chat');
  });

  test('presence: members, member_added and member_removed once per user id', async () => {
    const alice = client(hub, { user: { user_id: 'alice', user_info: { name: 'Alice' } } });
    const aliceChannel = await subscribed(alice, 'presence-room');
    const added = collect(aliceChannel, 'pusher:member_added');
    const removed = collect(aliceChannel, 'pusher:member_removed');

    const bob1 = client(hub, { user: { user_id: 'bob', user_info: { name: 'Bob' } } });
    const bobChannel = (await subscribed(bob1, 'presence-room')) as unknown as {
      members: { count: number; me: { id: string }; get(id: string): { info: unknown } | null };
    };
    expect(bobChannel.members.count).toBe(2);
    expect(bobChannel.members.me.id).toBe('bob');
    expect(bobChannel.members.get('alice')?.info).toEqual({ name: 'Alice' });
    // A second connection of the same user is no new member.
    const bob2 = client(hub, { user: { user_id: 'bob', user_info: { name: 'Bob' } } });
    await subscribed(bob2, 'presence-room');
    const users = await serverSdk(hub).get({ path: '/channels/presence-room/users' });
    expect(((await users.json()) as { users: { id: string }[] }).users.map((u) => u.id).sort()).toEqual([
      'alice',
      'bob',
    ]);
    expect(added).toEqual([{ id: 'bob', info: { name: 'Bob' } }]);

    bob1.disconnect();
    // bob is still there through his second connection: no member_removed yet.
    const probe = next(aliceChannel, 'probe');
    await serverSdk(hub).trigger('presence-room', 'probe', {});
    await probe;
    expect(removed).toEqual([]);
    const gone = next(aliceChannel, 'pusher:member_removed');
    bob2.disconnect();
    expect(await gone).toEqual({ id: 'bob', info: { name: 'Bob' } });
    expect(removed).toHaveLength(1);
  });

  test('client events: reach the other subscribers with user_id, never the sender', async () => {
    const alice = client(hub, { user: { user_id: 'alice' } });
    const bob = client(hub, { user: { user_id: 'bob' } });
    const aliceChannel = await subscribed(alice, 'presence-typing');
    const bobChannel = await subscribed(bob, 'presence-typing');
    const echoed = collect(aliceChannel, 'client-typing');
    const got = new Promise<{ data: unknown; meta: unknown }>((resolve) =>
      bobChannel.bind('client-typing', (data: unknown, meta: unknown) => resolve({ data, meta })),
    );
    aliceChannel.trigger('client-typing', { typing: true });
    const { data, meta } = await got;
    expect(data).toEqual({ typing: true });
    expect(meta).toMatchObject({ user_id: 'alice' });
    // The client event is a Relaykit message, stored with the sender's socket id.
    const res = await hub.request('/messages?channel=pusher.app-1.presence-typing&type=client-typing');
    const stored = (await res.json()) as { messages: { payload: unknown; from: string }[] };
    expect(stored.messages.at(-1)).toMatchObject({ payload: { typing: true }, from: alice.connection.socket_id });
    // Round trip to prove alice got nothing back.
    const probe = next(aliceChannel, 'probe');
    await serverSdk(hub).trigger('presence-typing', 'probe', {});
    await probe;
    expect(echoed).toEqual([]);
  });

  test('client events on a public channel are refused with pusher:error', async () => {
    const c = client(hub);
    const channel = await subscribed(c, 'public-room');
    const error = next<{ message: string }>(c.connection, 'error');
    channel.trigger('client-x', {});
    const err = (await error) as unknown as { type: string; data: { message: string } };
    expect(err.type).toBe('PusherError');
    expect(err.data.message).toContain('private and presence');
  });

  test('encrypted channel: payloads the hub cannot read are decrypted by pusher-js', async () => {
    const masterKey = Buffer.from('a'.repeat(32)).toString('base64');
    const sdk = new (await import('pusher')).default({
      appId: APP.id,
      key: APP.key,
      secret: APP.secret,
      host: '127.0.0.1',
      port: new URL(hub.url).port,
      useTLS: false,
      encryptionMasterKeyBase64: masterKey,
    });
    const c = client(hub, { sdk });
    const channel = await subscribed(c, 'private-encrypted-vault');
    const got = next(channel, 'secret');
    await sdk.trigger('private-encrypted-vault', 'secret', { pin: 1234 });
    expect(await got).toEqual({ pin: 1234 });
    const res = await hub.request('/messages?channel=pusher.app-1.private-encrypted-vault');
    const stored = (await res.json()) as { messages: { payload: Record<string, unknown> }[] };
    expect(Object.keys(stored.messages[0]?.payload ?? {}).sort()).toEqual(['ciphertext', 'nonce']);
    expect(JSON.stringify(stored.messages)).not.toContain('1234');
  });

  test('apps are isolated: a channel of one app never reaches another app', async () => {
    const mine = client(hub);
    const theirs = client(hub, { key: OTHER.key, sdk: serverSdk(hub, OTHER) });
    const mineChannel = await subscribed(mine, 'shared-name');
    const theirChannel = await subscribed(theirs, 'shared-name');
    const leaked = collect(theirChannel, 'news');
    const got = next(mineChannel, 'news');
    await serverSdk(hub).trigger('shared-name', 'news', { n: 1 });
    await got;
    const probe = next(theirChannel, 'probe');
    await serverSdk(hub, OTHER).trigger('shared-name', 'probe', {});
    await probe;
    expect(leaked).toEqual([]);
  });

  test('an unknown app key is refused with 4001 and pusher-js stops retrying', async () => {
    const c = client(hub, { key: 'no-such-key' });
    const state = await new Promise<{ error: unknown }>((resolve) =>
      c.connection.bind('error', (error: unknown) => resolve({ error })),
    );
    expect(JSON.stringify(state.error)).toContain('4001');
  });

  test('signin and sendToUser: the signed-in user receives server-to-user events', async () => {
    const c = client(hub, { user: { user_id: 'carol' } });
    await connected(c);
    c.signin();
    await c.user.signinDonePromise;
    const got = next(c.user, 'notice');
    // pusher-js subscribes to #server-to-user-carol after signin; retry until it is in place.
    const sdk = serverSdk(hub);
    let done = false;
    got.then(() => {
      done = true;
    });
    for (let i = 0; i < 50 && !done; i++) {
      await sdk.sendToUser('carol', 'notice', { hi: 'carol' });
      await Promise.race([got, new Promise((r) => setTimeout(r, 50))]);
    }
    expect(await got).toEqual({ hi: 'carol' });
  });
});
