import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { type TestHub, waitFor } from '../../helpers/hub.ts';
import { APP, OTHER, serverSdk, startPusherHub } from './helpers.ts';
import { RawPusher } from './raw.ts';

const ADMIN = 'pusher-options-admin';
const LIMITED = {
  id: 'limited',
  key: 'limited-key',
  secret: 'limited-secret',
  maxConnections: 3,
  maxPresenceMembers: 2,
  maxPresenceMemberBytes: 64,
  maxChannelsPerEvent: 2,
  enableClientEvents: false,
  allowedOrigins: ['https://app.example.com'],
};
let hub: TestHub;
const open: RawPusher[] = [];

beforeAll(async () => {
  hub = await startPusherHub([{ ...APP }, LIMITED], {}, { overrides: { auth: { adminToken: ADMIN } } });
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  // Let the hub see the closes before the next test counts connections.
  await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await hub.stop();
});

/** A raw client of LIMITED, sent from its allowed origin unless told otherwise. */
async function limited(origin = 'https://app.example.com'): Promise<RawPusher> {
  const c = await RawPusher.open(hub.url, LIMITED.key, 'protocol=7', { origin });
  open.push(c);
  return c;
}

async function joinPresence(c: RawPusher, userId: string, info: unknown = {}): Promise<string> {
  const sdk = serverSdk(hub, LIMITED);
  const { auth, channel_data } = sdk.authorizeChannel(c.socketId, 'presence-capped', {
    user_id: userId,
    user_info: info as Record<string, unknown>,
  });
  c.send({ event: 'pusher:subscribe', data: { channel: 'presence-capped', auth, channel_data } });
  const reply = await c.next((f) => f.channel === 'presence-capped' && f.event.includes('subscription'));
  return reply.event;
}

describe('per-app options', () => {
  test('allowedOrigins: another origin is closed with 4009', async () => {
    const c = await limited('https://evil.example.com');
    expect((await c.closedWith()).code).toBe(4009);
    expect((await limited()).closed).toBeNull();
  });

  test('maxConnections: the connection over the quota is closed with 4004, other apps unaffected', async () => {
    await limited();
    await limited();
    await limited();
    const fourth = await limited();
    expect(fourth.frames[0]).toMatchObject({ event: 'pusher:error', data: { code: 4004 } });
    expect((await fourth.closedWith()).code).toBe(4004);
    const elsewhere = await RawPusher.open(hub.url, APP.key);
    open.push(elsewhere);
    expect(elsewhere.frames[0]?.event).toBe('pusher:connection_established');
  });

  test('maxPresenceMembers and maxPresenceMemberBytes refuse with PresenceError; a known user may join again', async () => {
    const [a, b, c] = [await limited(), await limited(), await limited()];
    expect(await joinPresence(a, 'u1')).toBe('pusher_internal:subscription_succeeded');
    expect(await joinPresence(b, 'u2', { bio: 'x'.repeat(100) })).toBe('pusher:subscription_error');
    expect(await joinPresence(b, 'u2')).toBe('pusher_internal:subscription_succeeded');
    // Two members is the maximum: a third user is refused.
    expect(await joinPresence(c, 'u3')).toBe('pusher:subscription_error');
    expect(c.frames.at(-1)?.data).toMatchObject({ type: 'PresenceError' });
    a.close();
    await waitFor(async () => {
      const res = await serverSdk(hub, LIMITED).get({ path: '/channels/presence-capped/users' });
      return ((await res.json()) as { users: unknown[] }).users.length === 1;
    });
    expect(await joinPresence(c, 'u3')).toBe('pusher_internal:subscription_succeeded');
  });

  test('enableClientEvents: false refuses client events with Pusher’s message', async () => {
    const c = await limited();
    const { auth } = serverSdk(hub, LIMITED).authorizeChannel(c.socketId, 'private-quiet');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-quiet', auth } });
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    c.send({ event: 'client-hi', channel: 'private-quiet', data: {} });
    const err = await c.next((f) => f.event === 'pusher:error');
    expect((err.data as { message: string }).message).toContain('enable this feature');
  });

  test('maxChannelsPerEvent: more channels than allowed is 400', async () => {
    const err = (await serverSdk(hub, LIMITED)
      .trigger(['a', 'b', 'c'], 'e', {})
      .catch((e: unknown) => e)) as { status: number; body: string };
    expect(err.status).toBe(400);
    expect(err.body).toContain('1 to 2 channels');
  });

  test('rotating a secret live: the old one is refused, the new one accepted', async () => {
    const res = await hub.request('/admin/plugins/pusher', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { apps: [{ ...APP, secret: 'rotated-secret' }, { ...OTHER }] } },
    });
    expect(res.status).toBe(200);
    const old = (await serverSdk(hub)
      .get({ path: '/channels' })
      .catch((e: unknown) => e)) as { status: number };
    expect(old.status).toBe(401);
    expect((await serverSdk(hub, { ...APP, secret: 'rotated-secret' }).get({ path: '/channels' })).status).toBe(200);
    // The app removed by the change is gone.
    const gone = (await serverSdk(hub, LIMITED)
      .get({ path: '/channels' })
      .catch((e: unknown) => e)) as { status: number };
    expect(gone.status).toBe(404);
  });
});
