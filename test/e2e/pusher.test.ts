import { afterAll, beforeAll, expect, test } from 'bun:test';
import PusherServer from 'pusher';
import Pusher from 'pusher-js';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const CONFIG = `watch: false
plugins:
  pusher:
    enabled: true
    apps:
      - id: app-1
        key: app-key
        secretEnv: E2E_PUSHER_SECRET
`;

/** Resolves with the next `event` on `target`. */
const next = <T>(target: { bind(event: string, cb: (data: T) => void): unknown }, event: string) =>
  new Promise<T>((resolve) => target.bind(event, resolve));

forEachRuntime('pusher plugin', (runtime) => {
  let hub: E2EHub;
  let sdk: PusherServer;
  const clients: Pusher[] = [];

  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG, env: { E2E_PUSHER_SECRET: 'e2e-secret' } });
    const port = new URL(hub.url).port;
    sdk = new PusherServer({
      appId: 'app-1',
      key: 'app-key',
      secret: 'e2e-secret',
      host: '127.0.0.1',
      port,
      useTLS: false,
    });
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await hub.dispose();
  });

  function client(userId: string): Pusher {
    const c = new Pusher('app-key', {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(hub.url).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        endpoint: '/unused',
        transport: 'ajax',
        customHandler: (params, cb) =>
          cb(null, sdk.authorizeChannel(params.socketId, params.channelName, { user_id: userId })),
      },
    });
    clients.push(c);
    return c;
  }

  test('pusher-js gets SDK events and presence members; client events skip the sender', async () => {
    const alice = client('alice');
    const bob = client('bob');
    const aliceRoom = alice.subscribe('presence-e2e');
    await next(aliceRoom, 'pusher:subscription_succeeded');
    const joined = next<{ id: string }>(aliceRoom, 'pusher:member_added');
    const bobRoom = bob.subscribe('presence-e2e');
    await next(bobRoom, 'pusher:subscription_succeeded');
    expect((await joined).id).toBe('bob');

    const fromSdk = next(bobRoom, 'update');
    await sdk.trigger('presence-e2e', 'update', { n: 1 }, { socket_id: alice.connection.socket_id });
    expect(await fromSdk).toEqual({ n: 1 });

    const echoed: unknown[] = [];
    aliceRoom.bind('client-ping', (d: unknown) => echoed.push(d));
    const whisper = next(bobRoom, 'client-ping');
    aliceRoom.trigger('client-ping', { hi: true });
    expect(await whisper).toEqual({ hi: true });
    const probe = next(aliceRoom, 'probe');
    await sdk.trigger('presence-e2e', 'probe', {});
    await probe;
    expect(echoed).toEqual([]);
    const stored = await hub.request('/messages?channel=pusher.app-1.presence-e2e');
    const types = ((await stored.json()) as { messages: { type: string }[] }).messages.map((m) => m.type);
    expect(types).toEqual(['update', 'client-ping', 'probe']);
  });
});
