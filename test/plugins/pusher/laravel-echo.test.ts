import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, portOf, serverSdk, startPusherHub } from './helpers.ts';

let hub: TestHub;
const echoes: Echo<'pusher'>[] = [];

beforeAll(async () => {
  hub = await startPusherHub();
});
afterEach(() => {
  for (const e of echoes.splice(0)) e.disconnect();
});
afterAll(async () => {
  await hub.stop();
});

/** Laravel Echo with its pusher broadcaster, configured as for a self-hosted server (as for soketi). */
function echo(user: { id: string; name: string }): Echo<'pusher'> {
  const sdk = serverSdk(hub);
  const e = new Echo({
    broadcaster: 'pusher',
    Pusher,
    key: APP.key,
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: portOf(hub),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    // What Laravel's /broadcasting/auth answers, signed by the server SDK.
    channelAuthorization: {
      endpoint: '/broadcasting/auth',
      transport: 'ajax',
      customHandler: (params, cb) =>
        cb(null, sdk.authorizeChannel(params.socketId, params.channelName, { user_id: user.id, user_info: user })),
    },
  });
  echoes.push(e);
  return e;
}

const until = <T>(register: (resolve: (value: T) => void) => void) => new Promise<T>(register);

describe('Laravel Echo 2 (pusher broadcaster) against the hub', () => {
  test('channel().listen() receives a Laravel broadcast event by its class name', async () => {
    const e = echo({ id: '1', name: 'Ann' });
    const got = until<unknown>((resolve) => e.channel('orders').listen('OrderShipped', resolve));
    await until<void>((resolve) => e.connector.pusher.connection.bind('connected', () => resolve()));
    await until<void>((resolve) =>
      e.connector.channels.orders?.subscription.bind('pusher:subscription_succeeded', () => resolve()),
    );
    // Laravel broadcasts `App\Events\OrderShipped` with the event's public properties as data.
    await serverSdk(hub).trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 5 } });
    expect(await got).toEqual({ order: { id: 5 } });
  });

  test('private().listen() and join().here/joining/leaving/whisper on presence channels', async () => {
    const ann = echo({ id: '1', name: 'Ann' });
    const privateGot = until<unknown>((resolve) => ann.private('user.1').listen('.balance.updated', resolve));
    const here = until<unknown[]>((resolve) => ann.join('room.1').here(resolve));
    const joining = until<unknown>((resolve) => ann.join('room.1').joining(resolve));
    const leaving = until<unknown>((resolve) => ann.join('room.1').leaving(resolve));
    const whisper = until<unknown>((resolve) => ann.join('room.1').listenForWhisper('typing', resolve));
    expect(await here).toEqual([{ id: '1', name: 'Ann' }]);

    await until<void>((resolve) => {
      const ch = ann.connector.channels['private-user.1']?.subscription;
      if (ch?.subscribed) resolve();
      else ch?.bind('pusher:subscription_succeeded', () => resolve());
    });
    await serverSdk(hub).trigger('private-user.1', 'balance.updated', { balance: 10 });
    expect(await privateGot).toEqual({ balance: 10 });

    const ben = echo({ id: '2', name: 'Ben' });
    const benHere = until<unknown[]>((resolve) => ben.join('room.1').here(resolve));
    expect(await joining).toEqual({ id: '2', name: 'Ben' });
    expect(((await benHere) as { id: string }[]).map((u) => u.id).sort()).toEqual(['1', '2']);
    ben.join('room.1').whisper('typing', { who: 'Ben' });
    expect(await whisper).toEqual({ who: 'Ben' });
    ben.leave('room.1');
    expect(await leaving).toEqual({ id: '2', name: 'Ben' });
  });
});
