import { afterEach, expect, test } from 'bun:test';
import { RealtimeClient, type RealtimeEvent } from '../../../clients/realtime/src/index.ts';
import { TOKEN_HUB_CONFIG as CONFIG, ordersToken as jwt } from '../order-tokens.ts';
import { HeldTimers, HubUnderTest, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  await hub?.dispose();
  hub = client = null;
});

test('when the token expires the hub closes with 4001; the client asks its provider for a new one and resumes', async () => {
  hub = await HubUnderTest.start(CONFIG);
  const calls: boolean[] = [];
  const timers = new HeldTimers();
  client = new RealtimeClient({
    url: hub.url,
    channels: ['orders'],
    timers,
    reconnect: { initialDelayMs: 20 },
    // The first token expires within one to two seconds; later ones last.
    token: ({ refresh }) => {
      calls.push(refresh);
      return jwt('shop-ui', calls.length === 1 ? 1 : 3600);
    },
  });
  const events: RealtimeEvent[] = [];
  const closes: number[] = [];
  client.on('event', (e) => events.push(e));
  client.on('disconnected', (d) => closes.push(d.code));
  const info = await client.connect();
  expect(info).toMatchObject({ clientId: 'shop-ui', auth: 'jwt' });
  const { messageId } = await client.publish('orders', 'order.created', { sku: 'A-1' });
  timers.hold();

  await waitFor(() => closes.length === 1, 5000, 'the token to expire');
  expect(closes).toEqual([4001]);
  // Posted while the client had no valid token.
  const missed = await hub.send(
    { channel: 'orders', type: 'order.paid', payload: { sku: 'A-1' } },
    { authorization: `Bearer ${await jwt('backend', 3600)}` },
  );
  timers.release();
  await waitFor(() => events.length === 2, 5000, 'the resume with the new token');
  expect(calls).toEqual([false, true]);
  expect(events.map((e) => e.id)).toEqual([messageId, missed]);
  expect(events[0]).toMatchObject({ from: 'shop-ui', event: 'order.created', data: { sku: 'A-1' } });
});

test('a refused token is refreshed before the next attempt; a fixed refused token stops the client', async () => {
  hub = await HubUnderTest.start(CONFIG);
  let n = 0;
  client = new RealtimeClient({
    url: hub.url,
    reconnect: { initialDelayMs: 10 },
    token: ({ refresh }) =>
      n++ === 0 ? jwt('a', 3600, 'a-different-secret-32-characters!') : refresh ? jwt('a', 3600) : 'x',
  });
  expect(await client.connect()).toMatchObject({ clientId: 'a' });
  client.close();

  client = new RealtimeClient({ url: hub.url, token: 'not-a-jwt', reconnect: { initialDelayMs: 10 } });
  const errors: string[] = [];
  client.on('error', (e) => errors.push(e.code));
  await expect(client.connect()).rejects.toMatchObject({ code: 'RELAYKIT_CLIENT_CLOSED' });
  expect(errors).toEqual(['RELAYKIT_CLIENT_REFUSED']);
  expect(client.state).toBe('closed');
});
