import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import { Command } from '../../examples/helpers.ts';
import type { TestHub } from '../../helpers/hub.ts';
import { pusherClient, serverSdk, startPusherHub, subscribed } from './helpers.ts';

let hub: TestHub;
let node: Command;
let bun: Pusher;

beforeAll(async () => {
  // The example's apps: app-1 / app-key / app-secret.
  hub = await startPusherHub([{ id: 'app-1', key: 'app-key', secret: 'app-secret' }]);
  node = new Command(`node examples/pusher/client.mjs 127.0.0.1:${new URL(hub.url).port} ada`);
  await node.waitForLine(/"connected":"\d+\.\d+"/);
});
afterAll(async () => {
  bun?.disconnect();
  await node?.stop();
  await hub.stop();
});

describe('pusher-js 8 on Node against the hub', () => {
  test('public, private and presence channels, member events and client events', async () => {
    const sdk = serverSdk(hub);
    // The Node client subscribes right after connecting; wait until the presence channel has it.
    for (let i = 0; i < 100; i++) {
      const res = await sdk.get({ path: '/channels/presence-lobby/users' });
      if (((await res.json()) as { users: unknown[] }).users.length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await sdk.trigger('chat', 'message', { text: 'public' });
    await node.waitForLine(/\{"channel":"chat","event":"message","data":\{"text":"public"\}\}/);
    await sdk.trigger('private-orders', 'order.paid', { id: 1 });
    await node.waitForLine(/\{"channel":"private-orders","event":"order.paid","data":\{"id":1\}\}/);

    bun = pusherClient(hub, { user: { user_id: 'grace', user_info: { name: 'grace' } } });
    const lobby = await subscribed(bun, 'presence-lobby');
    await node.waitForLine(/"event":"pusher:member_added","data":\{"id":"grace","info":\{"name":"grace"\}\}/);
    lobby.trigger('client-wave', { from: 'grace' });
    await node.waitForLine(/"event":"client-wave","data":\{"from":"grace"\}/);
    bun.disconnect();
    await node.waitForLine(/"event":"pusher:member_removed","data":\{"id":"grace"/);
    expect(node.output).not.toContain('"event":"pusher:subscription_error"');
  });
});
