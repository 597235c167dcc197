import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import type { TestHub } from '../../helpers/hub.ts';
import { connected, next, pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';

let hub: TestHub;
const clients: Pusher[] = [];
const client = (...args: Parameters<typeof pusherClient>) => {
  const c = pusherClient(...args);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  hub = await startPusherHub();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await hub.stop();
});

describe('pusher-js against the hub', () => {
  test('connects and receives an event triggered through the HTTP API on a public channel', async () => {
    const c = client(hub);
    await connected(c);
    expect(c.connection.socket_id).toMatch(/^\d+\.\d+$/);
    const channel = await subscribed(c, 'chat');
    const got = next<{ text: string }>(channel, 'greeting');
    await serverSdk(hub).trigger('chat', 'greeting', { text: 'hello' });
    expect(await got).toEqual({ text: 'hello' });
  });
});
