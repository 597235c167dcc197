import { afterEach, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { builtinPlugins } from '../../../plugins/index.ts';
import { definePlugin } from '../../../src/kernel/plugin.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ids, TestClient } from './client.ts';

const ADMIN = 'admin-token';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

/** A throwaway plugin standing in for "any other plugin" (webhooks, ttl, ...). */
const other = definePlugin({
  name: 'other',
  options: Type.Object(
    { level: Type.Integer({ default: 1, description: 'Anything to reconfigure' }) },
    { default: {} },
  ),
  setup: () => ({}),
});

function patch(name: string, body: Record<string, unknown>): Promise<Response> {
  return t.request(`/admin/plugins/${name}`, { method: 'PATCH', token: ADMIN, json: body });
}

describe('ws-channels hot swap', () => {
  test('reconfiguring or disabling another plugin leaves WebSocket clients connected and receiving', async () => {
    t = await startTestHub({ plugins: [...builtinPlugins, other], overrides: { auth: { adminToken: ADMIN } } });
    const c = await TestClient.ready(t.url);
    await c.request({ type: 'subscribe', channels: ['feed'] });
    const before = await t.hub.messages.send({ channel: 'feed', type: 'n', payload: 1 });
    expect((await patch('other', { options: { level: 2 } })).status).toBe(200);
    expect((await patch('other', { enabled: false })).status).toBe(200);
    const after = await t.hub.messages.send({ channel: 'feed', type: 'n', payload: 2 });
    expect(ids(await c.waitForEvents(2))).toEqual([before.id, after.id]);
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(c.closed).toBeNull();
    c.close();
  });

  test('reconfiguring ws-channels closes its connections with 1012; clients reconnect and resume without loss', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const c = await TestClient.ready(t.url);
    await c.request({ type: 'subscribe', channels: ['feed'] });
    const seen = await t.hub.messages.send({ channel: 'feed', type: 'n', payload: 1 });
    await c.waitForEvents(1);

    expect((await patch('ws-channels', { options: { maxSubscriptions: 10 } })).status).toBe(200);
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1012);
    const missed = await t.hub.messages.send({ channel: 'feed', type: 'n', payload: 2 });

    const again = await TestClient.ready(t.url);
    const sub = await again.request({ type: 'subscribe', channels: ['feed'], since: seen.id });
    expect(sub).toMatchObject({ recovered: true, replayed: 1 });
    expect(ids(again.events())).toEqual([missed.id]);
    // The new instance runs with the new options.
    const many = Array.from({ length: 11 }, (_, i) => `c${i}`);
    expect(await again.request({ type: 'subscribe', channels: many })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_TOO_MANY_SUBSCRIPTIONS',
    });
    again.close();
  });

  test('disabling ws-channels closes its connections with 1012 and /ws stops accepting', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
    const c = await TestClient.ready(t.url);
    expect((await patch('ws-channels', { enabled: false })).status).toBe(200);
    expect(await c.waitClosed()).toEqual({ code: 1012, reason: 'ws-channels was disabled' });
    const res = await fetch(`${t.url}/ws`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    });
    expect(res.status).toBe(404);
    expect((await t.request('/ws/status', { token: ADMIN })).status).toBe(404);
  });
});
