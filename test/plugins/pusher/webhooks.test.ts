import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { waitFor } from '../../helpers/hub.ts';
import { LOOPBACK, type Receiver, startReceiver } from '../webhooks/helpers.ts';
import { APP, OTHER, pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';

const ADMIN = 'pusher-webhooks-admin';
let hub: TestHub;
let receiver: Receiver;

interface PusherWebhookEvent {
  name: string;
  channel: string;
  user_id?: string;
  event?: string;
  data?: string;
  socket_id?: string;
}

beforeAll(async () => {
  receiver = startReceiver();
  hub = await startPusherHub(
    [
      {
        ...APP,
        webhookEvents: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'],
      },
      { ...OTHER, webhookEvents: ['channel_occupied'] },
    ],
    { webhookBatchMs: 50 },
    {
      overrides: {
        auth: { adminToken: ADMIN },
        plugins: {
          webhooks: { security: { allowNetworks: LOOPBACK }, delivery: { retrySchedule: [0, 0] } },
        },
      },
    },
  );
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

/** Every event the receiver got so far, in order, from batches the SDK validates. */
function received(): PusherWebhookEvent[] {
  const sdk = serverSdk(hub);
  return receiver.requests.flatMap((r) => {
    const webhook = sdk.webhook({ headers: Object.fromEntries(r.headers), rawBody: r.body });
    expect(webhook.isValid()).toBe(true);
    return webhook.getEvents() as PusherWebhookEvent[];
  });
}

describe('Pusher webhooks through the webhooks outbox', () => {
  test('channel, member and client events arrive batched, in Pusher’s format, signed for the SDK', async () => {
    const created = await hub.request('/webhooks/endpoints', {
      method: 'POST',
      token: ADMIN,
      json: { url: `${receiver.url}/pusher`, events: ['pusher.webhook'], channels: ['pusher.app-1'], format: 'raw' },
    });
    expect(created.status).toBe(201);

    const alice = pusherClient(hub, { user: { user_id: 'alice' } });
    const bob = pusherClient(hub, { user: { user_id: 'bob' } });
    const aliceRoom = await subscribed(alice, 'presence-room');
    await subscribed(bob, 'presence-room');
    aliceRoom.trigger('client-typing', { on: true });
    // Another app's events never reach this app's endpoint.
    const other = pusherClient(hub, { key: OTHER.key, sdk: serverSdk(hub, OTHER) });
    await subscribed(other, 'other-app-channel');
    bob.disconnect();
    alice.disconnect();
    other.disconnect();

    await waitFor(() => received().some((e) => e.name === 'channel_vacated'), 10_000, 'channel_vacated');
    const events = received();
    const names = events.map((e) => e.name);
    expect(names[0]).toBe('channel_occupied');
    expect(names.at(-1)).toBe('channel_vacated');
    // The client event is committed before it is reported, so it may follow a disconnect.
    expect([...names].sort()).toEqual([
      'channel_occupied',
      'channel_vacated',
      'client_event',
      'member_added',
      'member_added',
      'member_removed',
      'member_removed',
    ]);
    expect(events.every((e) => e.channel === 'presence-room')).toBe(true);
    expect(events.filter((e) => e.name === 'member_added').map((e) => e.user_id)).toEqual(['alice', 'bob']);
    expect(events.find((e) => e.name === 'client_event')).toMatchObject({
      event: 'client-typing',
      data: '{"on":true}',
      user_id: 'alice',
    });
    // Batched: fewer requests than events, each a Pusher body with time_ms.
    expect(receiver.requests.length).toBeLessThan(events.length);
    const first = JSON.parse(receiver.requests[0]?.body ?? '{}') as { time_ms: number };
    expect(typeof first.time_ms).toBe('number');
    expect(receiver.requests[0]?.headers.get('x-pusher-key')).toBe(APP.key);
  });

  test('a signature made with another secret fails the SDK’s validation', () => {
    const request = receiver.requests[0];
    expect(request).toBeDefined();
    const wrong = serverSdk(hub, { ...APP, secret: 'not-the-secret' });
    const webhook = wrong.webhook({
      headers: Object.fromEntries(request?.headers ?? []),
      rawBody: request?.body ?? '',
    });
    expect(webhook.isValid()).toBe(false);
  });
});
