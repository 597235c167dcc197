import { afterEach, expect, test } from 'bun:test';
import { RealtimeClient, type RealtimeEvent } from '../../../clients/realtime/src/index.ts';
import { HubUnderTest, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  await hub?.dispose();
  hub = client = null;
});

test('after a graceful restart (1012) the client resubscribes to exactly the channels it holds, handlers intact', async () => {
  hub = await HubUnderTest.start();
  client = new RealtimeClient({ url: hub.url, channels: ['orders'], reconnect: { initialDelayMs: 20 } });
  const lifecycle: string[] = [];
  client.on('connected', (i) => lifecycle.push(i.reconnected ? 'reconnected' : 'connected'));
  client.on('disconnected', (d) => lifecycle.push(`disconnected ${d.code} ${d.willReconnect}`));
  client.on('reconnecting', (r) => lifecycle.push(`reconnecting ${r.attempt}`));
  await client.connect();

  const seen: RealtimeEvent[] = [];
  client.channel('room/42').on('chat.message', (e) => seen.push(e));
  await client.subscribe(['scratch', 'orders']);
  await client.unsubscribe(['scratch']);
  expect((await client.subscriptions()).sort()).toEqual(['orders', 'room/42']);
  const id = client.clientId;

  await hub.kill('SIGTERM');
  await waitFor(() => lifecycle.some((l) => l.startsWith('disconnected')), 5000, 'the disconnect');
  await hub.restart();
  await waitFor(() => lifecycle.includes('reconnected'), 10_000, 'the reconnect');

  expect(lifecycle[0]).toBe('connected');
  expect(lifecycle[1]).toBe('disconnected 1012 true');
  expect(lifecycle.slice(2, -1).every((l) => l.startsWith('reconnecting'))).toBe(true);
  expect((await client.subscriptions()).sort()).toEqual(['orders', 'room/42']);
  // An anonymous client keeps the id the hub gave it, so its direct messages still reach it.
  expect(client.clientId).toBe(id);

  await hub.send({ channel: 'room/42', type: 'chat.message', payload: { text: 'still here' } });
  await hub.send({ channel: 'scratch', type: 'chat.message', payload: { text: 'not subscribed' } });
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toMatchObject({ channel: 'room/42', event: 'chat.message', data: { text: 'still here' } });
});

test('a refused channel is reported and dropped while the others stay subscribed', async () => {
  hub = await HubUnderTest.start('watch: false\nplugins:\n  ws-channels:\n    channels: ["orders", "room/*"]\n');
  client = new RealtimeClient({ url: hub.url, channels: ['orders', 'secret', 'room/1'] });
  const errors: string[] = [];
  client.on('error', (e) => errors.push(`${e.code} ${e.message}`));
  await client.connect();
  expect(errors).toEqual(['RELAYKIT_ERR_WS_CHANNEL_INVALID No channel "secret" exists on this hub']);
  expect((await client.subscriptions()).sort()).toEqual(['orders', 'room/1']);
  await expect(client.subscribe(['nope'])).rejects.toMatchObject({ code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID' });
  expect(Object.keys(client.cursors().channels).sort()).toEqual(['orders', 'room/1']);
});
