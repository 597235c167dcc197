import { afterEach, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import { ManualClock } from '../../../src/kernel/clock.ts';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, next, OTHER, portOf, pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';
import { RawPusher } from './raw.ts';

const ADMIN = 'admin-token-for-tests';
const hubs: TestHub[] = [];
const clients: Pusher[] = [];
const raws: RawPusher[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const r of raws.splice(0)) r.close();
  for (const h of hubs.splice(0)) await h.stop();
});

async function hubWith(...args: Parameters<typeof startPusherHub>): Promise<TestHub> {
  const hub = await startPusherHub(...args);
  hubs.push(hub);
  return hub;
}

describe('pusher liveness', () => {
  test('a silent connection is pinged after activity_timeout and closed with 4201 without a pong', async () => {
    const clock = new ManualClock();
    const hub = await hubWith([{ ...APP }], { activityTimeoutSeconds: 60, pongTimeoutSeconds: 10 }, { clock });
    const silent = await RawPusher.open(hub.url, APP.key);
    const alive = await RawPusher.open(hub.url, APP.key);
    raws.push(silent, alive);
    expect(silent.frames[0]?.data).toMatchObject({ activity_timeout: 60 });
    await clock.tick(59_000);
    expect(silent.frames.some((f) => f.event === 'pusher:ping')).toBe(false);
    await clock.tick(2000);
    await silent.next((f) => f.event === 'pusher:ping');
    await alive.next((f) => f.event === 'pusher:ping');
    alive.send({ event: 'pusher:pong', data: {} });
    await new Promise((r) => setTimeout(r, 20)); // let the pong frame arrive before time moves on
    await clock.tick(11_000);
    expect((await silent.closedWith()).code).toBe(4201);
    expect(alive.closed).toBeNull();
  });
});

describe('pusher configuration and hot swap', () => {
  test('secrets come from the environment with secretEnv', async () => {
    process.env.RELAYKIT_TEST_PUSHER_SECRET = 'from-the-environment';
    const hub = await hubWith([{ id: APP.id, key: APP.key, secretEnv: 'RELAYKIT_TEST_PUSHER_SECRET' }]);
    const sdk = serverSdk(hub, { ...APP, secret: 'from-the-environment' });
    expect((await sdk.get({ path: '/channels' })).status).toBe(200);
    const wrong = (await serverSdk(hub)
      .get({ path: '/channels' })
      .catch((e: unknown) => e)) as { status: number };
    expect(wrong.status).toBe(401);
    delete process.env.RELAYKIT_TEST_PUSHER_SECRET;
  });

  test('duplicate app keys and a missing secret are refused at start, naming the field', async () => {
    const dup = await startPusherHub([{ ...APP }, { ...OTHER, key: APP.key }]).catch((e: Error) => e);
    expect(String(dup)).toContain('plugins.pusher.apps[1].key');
    const missing = await startPusherHub([{ id: 'x', key: 'k' }]).catch((e: Error) => e);
    expect(String(missing)).toContain('plugins.pusher.apps[0].secret');
  });

  test('reconfiguring the apps closes connections with 4200; pusher-js reconnects, resubscribes, and the new config applies', async () => {
    const hub = await hubWith([{ ...APP }], {}, { overrides: { auth: { adminToken: ADMIN } } });
    const c = pusherClient(hub);
    clients.push(c);
    const channel = await subscribed(c, 'private-feed');
    const firstSocket = c.connection.socket_id;
    const watcher = await RawPusher.open(hub.url, APP.key);
    raws.push(watcher);
    const resubscribed = new Promise<void>((resolve) => channel.bind('pusher:subscription_succeeded', () => resolve()));
    const res = await hub.request('/admin/plugins/pusher', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { apps: [{ ...APP }, { ...OTHER }] } },
    });
    expect(res.status).toBe(200);
    expect(await watcher.closedWith()).toEqual({ code: 4200, reason: 'the server is restarting; reconnect' });
    // pusher-js reconnected and resubscribed on its own (with a fresh signature for the new socket id).
    await resubscribed;
    expect(c.connection.socket_id).not.toBe(firstSocket);
    const got = next(channel, 'after');
    await serverSdk(hub).trigger('private-feed', 'after', { ok: true });
    expect(await got).toEqual({ ok: true });
    // The added app is served.
    expect((await serverSdk(hub, OTHER).get({ path: '/channels' })).status).toBe(200);
  });

  test('pusher-js reconnects after the hub restarts on the same port', async () => {
    const first = await startPusherHub();
    const port = portOf(first);
    const c = pusherClient(first);
    clients.push(c);
    const channel = await subscribed(c, 'restart-feed');
    const resubscribed = new Promise<void>((resolve) => channel.bind('pusher:subscription_succeeded', () => resolve()));
    const down = new Promise<void>((resolve) =>
      c.connection.bind('state_change', (s: { current: string }) => s.current !== 'connected' && resolve()),
    );
    await first.stop(true);
    await down;
    const second = await hubWith(undefined, {}, { dir: first.dir, overrides: { server: { port } } });
    await resubscribed;
    expect(c.connection.state).toBe('connected');
    const got = next(channel, 'back');
    await serverSdk(second).trigger('restart-feed', 'back', { n: 1 });
    expect(await got).toEqual({ n: 1 });
  }, 30_000);
});
