import { afterEach, describe, expect, test } from 'bun:test';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import {
  JWT_SECRET,
  openRaw,
  post,
  type RawStream,
  signToken,
  type WatchedSource,
  waitForIds,
  watch,
} from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
const raws: RawStream[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  for (const r of raws.splice(0)) await r.cancel();
  await t?.stop();
});

const ADMIN = 'admin-token-for-sse-tests';

function requiredJwt(sse: Record<string, unknown> = {}, clock?: ManualClock) {
  return startTestHub({
    overrides: { auth: { adminToken: ADMIN, jwt: { secret: JWT_SECRET, required: true } }, plugins: { sse } },
    clock,
  });
}

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}

describe('sse auth', () => {
  test('a token from ?token=, the cookie or the Authorization header opens the stream; its sub is the client id', async () => {
    t = await requiredJwt();
    const token = await signToken({ sub: 'user-1' });
    const byQuery = watch(`${t.url}/stream/events?token=${token}&channels=room`, ['chat']);
    const byCookie = watch(`${t.url}/stream/events?channels=room`, ['chat'], {
      headers: { cookie: `other=1; relaykit_token=${token}` },
    });
    const byHeader = watch(`${t.url}/stream/events?channels=room`, ['chat'], {
      headers: { authorization: `Bearer ${token}` },
    });
    sources.push(byQuery, byCookie, byHeader);
    // A fresh stream starts live: post only once all three are open.
    await waitFor(() => [byQuery, byCookie, byHeader].every((s) => s.named('relaykit.connected').length === 1));
    const ids = await post(
      t.url,
      [
        { channel: 'room', type: 'chat' },
        { to: 'user-1', type: 'chat' },
      ],
      ADMIN,
    );
    for (const s of [byQuery, byCookie, byHeader]) {
      await waitForIds(s, 2);
      expect(s.ids()).toEqual(ids);
      expect(s.named('relaykit.connected')[0].data).toMatchObject({ client_id: 'user-1' });
    }
  });

  test('without a token, with an invalid or expired one, the request is refused with 401 and EventSource stops', async () => {
    t = await requiredJwt();
    const missing = await fetch(`${t.url}/stream/events?channels=room`);
    expect(await errorOf(missing)).toMatchObject({ status: 401, code: 'RELAYKIT_ERR_UNAUTHORIZED' });

    const expired = await signToken({ sub: 'late' }, Math.floor(Date.now() / 1000) - 60);
    expect(await errorOf(await fetch(`${t.url}/stream/events?token=${expired}`))).toMatchObject({
      status: 401,
      message: 'The token has expired',
    });
    const forged = `${(await signToken({ sub: 'x' })).slice(0, -4)}AAAA`;
    expect((await fetch(`${t.url}/stream/events?token=${forged}`)).status).toBe(401);
    // The admin token never travels in a URL.
    expect(await errorOf(await fetch(`${t.url}/stream/events?token=${ADMIN}`))).toMatchObject({
      status: 401,
      message: expect.stringContaining('The admin token is accepted only in the Authorization header'),
    });

    const refused = watch(`${t.url}/stream/events?channels=room`, ['chat']);
    sources.push(refused);
    await waitFor(() => refused.source.readyState === 2, 5000, 'EventSource to give up');
    expect(refused.errors[0]).toMatchObject({ code: 401 });
  });

  test('the channels claim limits what a client may subscribe to; client_id cannot differ from sub', async () => {
    t = await requiredJwt();
    const token = await signToken({ sub: 'member', channels: ['team-*'] });
    const ok = await openRaw(`${t.url}/stream/events?token=${token}&channels=team-a,team-b`);
    raws.push(ok);
    expect(ok.response.status).toBe(200);

    const denied = await fetch(`${t.url}/stream/events?token=${token}&channels=team-a,secret`);
    expect(await errorOf(denied)).toMatchObject({ status: 403, code: 'RELAYKIT_ERR_SSE_CHANNEL_FORBIDDEN' });
    const system = await fetch(`${t.url}/stream/events?token=${token}&channels=$hub:plugin.*`);
    expect(await errorOf(system)).toMatchObject({ status: 403, code: 'RELAYKIT_ERR_SSE_CHANNEL_FORBIDDEN' });
    const everything = await fetch(`${t.url}/stream/events?token=${token}&channels=*`);
    expect(everything.status).toBe(403);
    const impostor = await fetch(`${t.url}/stream/events?token=${token}&client_id=someone-else`);
    expect(await errorOf(impostor)).toMatchObject({ status: 403, code: 'RELAYKIT_ERR_SSE_CLIENT_ID_MISMATCH' });
  });

  test('queryToken: false and an empty cookieName turn those token sources off', async () => {
    t = await requiredJwt({ auth: { queryToken: false, cookieName: '' } });
    const token = await signToken({ sub: 'u' });
    expect((await fetch(`${t.url}/stream/events?token=${token}`)).status).toBe(401);
    expect((await fetch(`${t.url}/stream/events`, { headers: { cookie: `relaykit_token=${token}` } })).status).toBe(
      401,
    );
    const header = await openRaw(`${t.url}/stream/events`, { headers: { authorization: `Bearer ${token}` } });
    raws.push(header);
    expect(header.response.status).toBe(200);
  });

  test('anonymous clients are welcome when JWT is not required, but a bad token is still refused', async () => {
    t = await startTestHub({ overrides: { auth: { jwt: { secret: JWT_SECRET } } } });
    const anonymous = await openRaw(`${t.url}/stream/events?channels=lobby`);
    raws.push(anonymous);
    expect(anonymous.response.status).toBe(200);
    expect((await fetch(`${t.url}/stream/events?token=not-a-jwt`)).status).toBe(401);
  });

  test('the stream ends when its token expires', async () => {
    const clock = new ManualClock(Date.now());
    t = await requiredJwt({}, clock);
    const reasons: Array<string | undefined> = [];
    t.hub.bus.on('client.disconnected', (e) => {
      reasons.push(e.reason);
    });
    const token = await signToken({ sub: 'short' }, Math.floor(Date.now() / 1000) + 120);
    const s = await openRaw(`${t.url}/stream/events?token=${token}`);
    raws.push(s);
    await clock.tick(60_000);
    expect(reasons).toEqual([]);
    await clock.tick(61_000);
    expect(reasons).toEqual(['token_expired']);
    expect(await s.ended).toBe('eof');
  });

  test('a token valid for longer than a timer can wait (30 days) keeps its stream open until it expires', async () => {
    const days = 24 * 3600 * 1000;
    const clock = new ManualClock(Date.now());
    // Heartbeats every 10 days: a month of 15 s heartbeats at once would overflow the unread queue.
    t = await requiredJwt({ heartbeatMs: 10 * days }, clock);
    const reasons: Array<string | undefined> = [];
    t.hub.bus.on('client.disconnected', (e) => {
      reasons.push(e.reason);
    });
    const token = await signToken({ sub: 'long' }, Math.floor((Date.now() + 30 * days) / 1000));
    const s = await openRaw(`${t.url}/stream/events?token=${token}`);
    raws.push(s);
    await clock.tick(29 * days);
    expect(reasons).toEqual([]);
    await clock.tick(1 * days + 1000);
    expect(reasons).toEqual(['token_expired']);
  });
});
