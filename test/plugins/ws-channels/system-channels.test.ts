import { afterEach, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { SignJWT } from 'jose';
import { builtinPlugins } from '../../../plugins/index.ts';
import { definePlugin } from '../../../src/kernel/plugin.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

const SECRET = 'a-test-secret-of-32-characters!!';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

const dummy = definePlugin({
  name: 'dummy',
  options: Type.Object({ n: Type.Integer({ default: 0, description: 'anything' }) }, { default: {} }),
  setup: () => ({}),
});

describe('ws-channels system channels', () => {
  test('the admin token reads the hub’s own events on $hub: channels, live', async () => {
    t = await startTestHub({
      plugins: [...builtinPlugins, dummy],
      overrides: { auth: { adminToken: 'admin-token' } },
    });
    // The admin token travels in the first frame, never in the URL.
    const admin = await TestClient.connect(t.url);
    admin.send({ type: 'auth', token: 'admin-token' });
    await admin.next('connected', (f) => f.auth === 'admin');
    expect(admin.frames.find((f) => f.auth === 'admin')).toMatchObject({ auth: 'admin', system: true });
    await admin.request({ type: 'subscribe', channels: ['$hub:client.*', '$hub:plugin.*'] });

    const other = await TestClient.ready(t.url, { client_id: 'watched' });
    const connected = await admin.next('event', (f) => f.event === 'client.connected');
    expect(connected).toMatchObject({
      channel: '$hub:client.*',
      id: null,
      data: { clientId: 'watched', transport: 'ws' },
    });
    other.close();
    await admin.next('event', (f) => f.event === 'client.disconnected');

    const res = await t.request('/admin/plugins/dummy', {
      method: 'PATCH',
      token: 'admin-token',
      json: { options: { n: 1 } },
    });
    expect(res.status).toBe(200);
    expect(await admin.next('event', (f) => f.event === 'plugin.reconfigured')).toMatchObject({
      channel: '$hub:plugin.*',
      data: { name: 'dummy' },
    });
    admin.close();
  });

  test('anonymous clients cannot read system channels; a token with system: true can', async () => {
    t = await startTestHub({ overrides: { auth: { jwt: { secret: SECRET } } } });
    const anon = await TestClient.ready(t.url);
    expect(await anon.request({ type: 'subscribe', channels: ['$hub:*'] })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN',
    });
    const token = await new SignJWT({ sub: 'ops', system: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const ops = await TestClient.ready(t.url, { token });
    await ops.request({ type: 'subscribe', channels: ['$hub:channel.occupied'] });
    await anon.request({ type: 'subscribe', channels: ['lobby'] });
    expect(await ops.next('event')).toMatchObject({ event: 'channel.occupied', data: { channel: 'lobby' } });
    expect(await ops.request({ type: 'subscribe', channels: ['$hub:bad pattern'] })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID',
    });
    anon.close();
    ops.close();
  });
});
