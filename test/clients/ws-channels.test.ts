import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  broadcastWs,
  disconnectWsClient,
  getWsChannel,
  getWsStats,
  listWsChannels,
} from '../../clients/typescript/generated/index.ts';
import { TestClient } from '../plugins/ws-channels/client.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: ws-channels REST', () => {
  let t: ClientHub;
  let socket: TestClient;
  beforeAll(async () => {
    t = await startClientHub();
    socket = await TestClient.ready(t.hub.url, { client_id: 'watcher' });
    socket.send({ type: 'subscribe', channels: ['room'] });
    await socket.next('subscribed');
  });
  afterAll(async () => {
    socket.ws.close();
    await t.hub.stop();
  });

  test('status, channels and presence show the connected subscriber', async () => {
    const { admin } = t;
    const status = await getWsStats({ client: admin });
    expect(status.data).toMatchObject({ connections: 1, clients: 1, channels: 1, subscriptions: 1 });

    const channels = await listWsChannels({ client: admin });
    expect(channels.data?.channels).toContainEqual({ name: 'room', subscribers: 1, system: false });

    const presence = await getWsChannel({ client: admin, path: { channel: 'room' } });
    expect(presence.data).toEqual({ name: 'room', subscribers: 1, clients: ['watcher'] });

    const nobody = await disconnectWsClient({ client: admin, path: { clientId: 'nobody-here' } });
    expect(nobody.data).toEqual({ clientId: 'nobody-here', closed: 0 });
  });

  test('broadcast reaches the WebSocket subscriber', async () => {
    const sent = await broadcastWs({ client: t.admin, body: { channel: 'room', type: 'note', data: { x: 1 } } });
    expect(sent.response?.status).toBe(201);
    expect(sent.data).toMatchObject({ channel: 'room', recipients: 1 });
    const event = await socket.next('event', (f) => f.id === sent.data?.id);
    expect(event).toMatchObject({ channel: 'room', event: 'note', data: { x: 1 } });
  });

  test('the statistics need the admin token: a typed 401 without it', async () => {
    const refused = await getWsStats({ client: t.client });
    expect(refused.response?.status).toBe(401);
    expect(refused.error?.error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
  });
});
