/**
 * Pusher sockets count against the hub's per-IP connection cap (limits.connectionsPerIp),
 * shared with /ws and SSE: one address cannot take every socket; over it, 4004.
 */
import { afterEach, expect, test } from 'bun:test';
import { type TestHub, waitFor } from '../../helpers/hub.ts';
import { APP, startPusherHub } from './helpers.ts';
import { RawPusher } from './raw.ts';

let hub: TestHub;
const open: RawPusher[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await hub?.stop();
});

test('a socket over limits.connectionsPerIp is closed with 4004, and a closed one frees its slot', async () => {
  hub = await startPusherHub([{ ...APP }], {}, { overrides: { limits: { connectionsPerIp: 2 } } });
  const connect = async () => {
    const c = await RawPusher.open(hub.url, APP.key);
    open.push(c);
    return c;
  };
  const [a] = [await connect(), await connect()];
  const third = await connect();
  expect(third.frames[0]).toMatchObject({ event: 'pusher:error', data: { code: 4004 } });
  expect((await third.closedWith()).code).toBe(4004);
  a.close();
  await waitFor(
    async () => {
      const c = await connect();
      return c.frames[0]?.event === 'pusher:connection_established';
    },
    5000,
    'a slot to be freed',
  );
});
