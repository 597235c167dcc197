import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await t?.stop();
});

const ADMIN = 'admin-token-for-sse-tests';

describe('sse management routes', () => {
  test('POST /stream/broadcast reaches every stream and is stored, so a late client gets it on resume', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const a = watch(`${t.url}/stream/events?client_id=a&channels=x`, ['notification']);
    const b = watch(`${t.url}/stream/events?client_id=b`, ['notification']);
    sources.push(a, b);
    await waitFor(() => a.named('relaykit.connected').length === 1 && b.named('relaykit.connected').length === 1);

    const res = await t.request('/stream/broadcast', {
      method: 'POST',
      token: ADMIN,
      json: { type: 'notification', data: { text: 'maintenance at 5' } },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ streams: 2, message: { channel: 'broadcast', type: 'notification' } });
    await waitForIds(a, 1);
    await waitForIds(b, 1);
    expect(a.named('notification')[0].data).toMatchObject({ data: { text: 'maintenance at 5' } });

    const late = watch(`${t.url}/stream/events?client_id=c&last_event_id=0`, ['notification']);
    sources.push(late);
    await waitForIds(late, 1);
    expect(late.ids()).toEqual([body.message.id]);

    const onChannel = await t.request('/stream/broadcast', {
      method: 'POST',
      token: ADMIN,
      json: { type: 'notification', data: 1, channel: 'x' },
    });
    expect(await onChannel.json()).toMatchObject({ streams: 1, message: { channel: 'x' } });
  });

  test('POST /stream/send addresses one client, connected or not', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const bob = watch(`${t.url}/stream/events?client_id=bob`, ['ping']);
    const eve = watch(`${t.url}/stream/events?client_id=eve`, ['ping']);
    sources.push(bob, eve);
    await waitFor(() => bob.named('relaykit.connected').length === 1 && eve.named('relaykit.connected').length === 1);

    const sent = await t.request('/stream/send', {
      method: 'POST',
      token: ADMIN,
      json: { client_id: 'bob', type: 'ping', data: 'hello', from: 'ops' },
    });
    expect(sent.status).toBe(201);
    const { message, streams } = await sent.json();
    expect(streams).toBe(1);
    expect(message).toMatchObject({ to: 'bob', from: 'ops', type: 'ping', payload: 'hello' });
    await waitForIds(bob, 1);
    expect(bob.named('ping')[0].data).toMatchObject({ from: 'ops', data: 'hello' });

    const offline = await t.request('/stream/send', {
      method: 'POST',
      token: ADMIN,
      json: { client_id: 'zoe', type: 'ping', data: null },
    });
    expect(await offline.json()).toMatchObject({ streams: 0 });
    expect(eve.ids()).toEqual([]);
  });

  test('GET /stream/clients lists clients and their streams; GET /stream/stats counts', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const one = watch(`${t.url}/stream/events?client_id=multi&channels=a,b&subscribe=t1`, ['t1']);
    const two = watch(`${t.url}/stream/events?client_id=multi&channels=c`, ['t1']);
    sources.push(one, two);
    await waitFor(() => one.named('relaykit.connected').length === 1 && two.named('relaykit.connected').length === 1);

    const list = await (await t.request('/stream/clients', { token: ADMIN })).json();
    expect(list.total).toBe(1);
    expect(list.clients[0].client_id).toBe('multi');
    expect(list.clients[0].streams.map((s: { channels: string[] }) => s.channels)).toEqual([
      ['a', 'b', 'broadcast'],
      ['c', 'broadcast'],
    ]);
    expect(list.clients[0].streams[0]).toMatchObject({
      via: 'anonymous',
      subscribe: ['t1'],
      live: true,
      resumed_from: null,
    });

    const stats = await (await t.request('/stream/stats')).json();
    expect(stats).toMatchObject({ streams: 2, clients: 1, channels: 4, subscriptions: 5, opened: 2 });
    expect(stats).not.toHaveProperty('cluster'); // a single hub: no cluster-wide part
  });

  test('management needs the admin token: 401 without it, 403 when none is configured', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const body = { type: 'x', data: 1 };
    expect((await t.request('/stream/broadcast', { method: 'POST', json: body })).status).toBe(401);
    expect(
      (await t.request('/stream/send', { method: 'POST', json: { ...body, client_id: 'a' }, token: 'wrong-token' }))
        .status,
    ).toBe(401);
    expect((await t.request('/stream/clients')).status).toBe(401);
    await t.stop();

    t = await startTestHub();
    const res = await t.request('/stream/broadcast', { method: 'POST', json: body, token: 'anything' });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('RELAYKIT_ERR_ADMIN_DISABLED');
    expect((await t.request('/stream/stats')).status).toBe(200);
  });
});
