import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, serverSdk, startPusherHub } from './helpers.ts';
import { RawPusher } from './raw.ts';

let hub: TestHub;
const open: RawPusher[] = [];
async function raw(key: string = APP.key, query?: string): Promise<RawPusher> {
  const c = await RawPusher.open(hub.url, key, query);
  open.push(c);
  return c;
}

beforeAll(async () => {
  hub = await startPusherHub([{ ...APP, maxSubscriptionsPerConnection: 100, clientEventsPerSecond: 3 }]);
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => {
  await hub.stop();
});

const isError = (f: { event: string }) => f.event === 'pusher:error';

/** The hub still serves: a fresh connection subscribes and gets an event. */
async function stillHealthy(): Promise<void> {
  const c = await raw();
  c.send({ event: 'pusher:subscribe', data: { channel: 'health-check' } });
  await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
  await serverSdk(hub).trigger('health-check', 'ok', {});
  await c.next((f) => f.event === 'ok');
  const health = await hub.request('/health/ready');
  expect(health.status).toBe(200);
}

describe('bad input over the pusher protocol', () => {
  test('malformed frames get pusher:error and the connection stays open', async () => {
    const c = await raw();
    for (const text of ['not json', '[1,2]', '{"no":"event"}', '{"event":42}', 'null']) c.send(text);
    await c.next(() => c.frames.filter(isError).length === 5);
    expect(c.frames.filter(isError).every((f) => (f.data as { message: string }).message.includes('Malformed'))).toBe(
      true,
    );
    expect(c.closed).toBeNull();
    c.send({ event: 'pusher:ping', data: {} });
    await c.next((f) => f.event === 'pusher:pong');
    await stillHealthy();
  });

  test('an unknown app key closes with 4001, a missing or unsupported protocol with 4008 / 4007', async () => {
    const unknown = await raw('nope');
    expect(unknown.frames[0]).toMatchObject({ event: 'pusher:error', data: { code: 4001 } });
    expect((await unknown.closedWith()).code).toBe(4001);
    expect((await (await raw(APP.key, 'client=js')).closedWith()).code).toBe(4008);
    expect((await (await raw(APP.key, 'protocol=6')).closedWith()).code).toBe(4007);
    expect((await (await raw(APP.key, 'protocol=seven')).closedWith()).code).toBe(4006);
  });

  test('a frame over maxFrameBytes closes with 4009; an oversized client event gets pusher:error', async () => {
    const c = await raw();
    const { auth } = serverSdk(hub).authorizeChannel(c.socketId, 'private-x');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-x', auth } });
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    c.send({ event: 'client-big', channel: 'private-x', data: 'y'.repeat(11_000) });
    const tooBig = await c.next(isError);
    expect((tooBig.data as { message: string }).message).toContain('larger than 10240 bytes');
    c.send({ event: 'client-big', channel: 'private-x', data: 'y'.repeat(70_000) });
    expect((await c.closedWith()).code).toBe(4009);
    await stillHealthy();
  });

  test('subscribing to 10,000 channels: the first 100 succeed, the rest get LimitReached', async () => {
    const c = await raw();
    for (let i = 0; i < 10_000; i++) c.send({ event: 'pusher:subscribe', data: { channel: `many-${i}` } });
    await c.next(() => c.frames.length >= 10_001, 20_000);
    const ok = c.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded');
    const refused = c.frames.filter((f) => f.event === 'pusher:subscription_error');
    expect(ok).toHaveLength(100);
    expect(refused).toHaveLength(9900);
    expect(refused[0]?.data).toMatchObject({ type: 'LimitReached' });
    await stillHealthy();
  });

  test('forged auth signatures and invalid channel names are refused per subscription', async () => {
    const c = await raw();
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-secret', auth: `${APP.key}:${'0'.repeat(64)}` } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-secret' } });
    c.send({
      event: 'pusher:subscribe',
      data: { channel: 'presence-x', auth: 'other-key:abc', channel_data: '{"user_id":"u"}' },
    });
    c.send({ event: 'pusher:subscribe', data: { channel: 'bad name!' } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'x'.repeat(165) } });
    c.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-mallory' } });
    await c.next(() => c.frames.filter((f) => f.event === 'pusher:subscription_error').length === 6);
    const types = c.frames
      .filter((f) => f.event === 'pusher:subscription_error')
      .map((f) => (f.data as { type: string }).type);
    expect(types).toEqual([
      'AuthError',
      'AuthError',
      'AuthError',
      'InvalidChannelName',
      'InvalidChannelName',
      'AuthError',
    ]);
    expect(c.closed).toBeNull();
  });

  test('subscribing twice to a presence channel answers with its members again, joining once', async () => {
    const c = await raw();
    const { auth, channel_data } = serverSdk(hub).authorizeChannel(c.socketId, 'presence-twice', { user_id: 'solo' });
    const subscribe = { event: 'pusher:subscribe', data: { channel: 'presence-twice', auth, channel_data } };
    c.send(subscribe);
    c.send(subscribe);
    const ok = (f: { event: string }) => f.event === 'pusher_internal:subscription_succeeded';
    const first = await c.next(ok);
    const second = await c.next(ok);
    expect(second.data).toEqual(first.data);
    expect(second.data).toMatchObject({ presence: { ids: ['solo'], count: 1 } });
    expect(c.frames.some((f) => f.event === 'pusher_internal:member_added')).toBe(false);
  });

  test('a forged sign-in is refused with 4009', async () => {
    const c = await raw();
    c.send({ event: 'pusher:signin', data: { auth: `${APP.key}:${'1'.repeat(64)}`, user_data: '{"id":"root"}' } });
    expect((await c.closedWith()).code).toBe(4009);
  });

  test('client events over the rate limit get error 4301', async () => {
    const sdk = serverSdk(hub);
    const c = await raw();
    const { auth } = sdk.authorizeChannel(c.socketId, 'private-rate');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-rate', auth } });
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    for (let i = 0; i < 5; i++) c.send({ event: 'client-spam', channel: 'private-rate', data: { i } });
    const limited = await c.next((f) => isError(f) && (f.data as { code: number }).code === 4301);
    expect(limited.data).toMatchObject({ message: 'Client event rejected due to rate limit' });
    expect(c.frames.filter(isError)).toHaveLength(2);
  });
});
