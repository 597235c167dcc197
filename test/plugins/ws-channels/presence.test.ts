import { afterEach, describe, expect, test } from 'bun:test';
import type { BusEvent } from '../../../src/kernel/events.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

const ADMIN = 'admin-token';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function get(path: string, token: string | null = ADMIN): Promise<{ status: number; body: unknown }> {
  const res = await t.request(path, token ? { token } : {});
  return { status: res.status, body: await res.json() };
}

describe('ws-channels presence and REST', () => {
  test('presence events and the channel endpoints follow subscriptions', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const events: string[] = [];
    t.hub.bus.onAny((e: BusEvent) => {
      if (/^(client|channel)\./.test(e.name))
        events.push(`${e.name} ${JSON.stringify(e.payload).match(/"(clientId|channel)":"([^"]+)"/)?.[2]}`);
    });
    const a = await TestClient.ready(t.url, { client_id: 'alice' });
    const b = await TestClient.ready(t.url, { client_id: 'bob' });
    await a.request({ type: 'subscribe', channels: ['room/1', 'lobby'] });
    await b.request({ type: 'subscribe', channels: ['room/1'] });

    expect((await get('/ws/channels')).body).toEqual({
      channels: [
        { name: 'lobby', subscribers: 1, system: false },
        { name: 'room/1', subscribers: 2, system: false },
      ],
      total: 2,
      nextCursor: null,
    });
    // Paged by name: a page of one, then the rest from its cursor.
    const first = (await get('/ws/channels?limit=1')).body;
    expect(first).toEqual({
      channels: [{ name: 'lobby', subscribers: 1, system: false }],
      total: 2,
      nextCursor: 'lobby',
    });
    expect((await get('/ws/channels?limit=1&after=lobby')).body).toEqual({
      channels: [{ name: 'room/1', subscribers: 2, system: false }],
      total: 2,
      nextCursor: null,
    });
    expect((await get(`/ws/channels/${encodeURIComponent('room/1')}`)).body).toEqual({
      name: 'room/1',
      subscribers: 2,
      clients: ['alice', 'bob'],
    });
    expect((await get('/ws/channels/nobody-here')).body).toEqual({ name: 'nobody-here', subscribers: 0, clients: [] });
    expect((await get('/ws/status')).body).toMatchObject({ connections: 2, clients: 2, channels: 2, subscriptions: 3 });
    expect((await get('/ws/status')).body).not.toHaveProperty('cluster'); // a single hub: no cluster-wide part

    await a.request({ type: 'unsubscribe', channels: ['lobby'] });
    b.close();
    await waitFor(() => events.includes('client.disconnected bob'), 5000, 'bob to leave');
    expect(events).toEqual([
      'client.connected alice',
      'client.connected bob',
      'channel.occupied room/1',
      'channel.occupied lobby',
      'channel.vacated lobby',
      'client.disconnected bob',
    ]);
    a.close();
  });

  test('stats need the admin token by default; statsRequireAdmin: false opens them', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    expect((await get('/ws/status', null)).status).toBe(401);
    expect((await get('/ws/channels', 'wrong-token')).status).toBe(401);
    await t.stop();
    t = await startTestHub({ overrides: { plugins: { 'ws-channels': { statsRequireAdmin: false } } } });
    expect((await get('/ws/status', null)).status).toBe(200);
  });

  test('POST /ws/broadcast needs the admin token and reaches a channel or everyone', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const a = await TestClient.ready(t.url);
    const b = await TestClient.ready(t.url);
    await a.request({ type: 'subscribe', channels: ['alerts'] });

    const denied = await t.request('/ws/broadcast', { method: 'POST', json: { type: 'x' } });
    expect(denied.status).toBe(401);

    const toChannel = await t.request('/ws/broadcast', {
      method: 'POST',
      token: ADMIN,
      json: { channel: 'alerts', type: 'alert.raised', data: { level: 'high' } },
    });
    expect(toChannel.status).toBe(201);
    const sent = await toChannel.json();
    expect(sent).toMatchObject({ channel: 'alerts', recipients: 1 });
    expect((await a.waitForEvents(1))[0]).toMatchObject({
      id: sent.id,
      event: 'alert.raised',
      data: { level: 'high' },
    });

    const toAll = await t.request('/ws/broadcast', {
      method: 'POST',
      token: ADMIN,
      json: { type: 'maintenance', data: 'soon' },
    });
    const all = await toAll.json();
    expect(all).toMatchObject({ channel: null, recipients: 2 });
    expect((await b.waitForEvents(1))[0]).toMatchObject({ id: all.id, channel: null, event: 'maintenance' });
    expect((await a.waitForEvents(2))[1].id).toBe(all.id);

    const invalid = await t.request('/ws/broadcast', { method: 'POST', token: ADMIN, json: { channel: 'bad name' } });
    expect(invalid.status).toBe(422);
    a.close();
    b.close();
  });
});
