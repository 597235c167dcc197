import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ids, TestClient } from './client.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function send(channel: string | null, to: string | null = null, n = 1): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = await t.hub.messages.send({
      ...(channel ? { channel } : {}),
      ...(to ? { to } : {}),
      type: 'n',
      payload: i,
    });
    out.push(m.id);
  }
  return out;
}

describe('ws-channels resume', () => {
  test('a client that reconnects with since receives exactly the missed events, in order, then live ones', async () => {
    t = await startTestHub();
    const first = await TestClient.ready(t.url);
    await first.request({ type: 'subscribe', channels: ['a', 'b'] });
    const before = [...(await send('a')), ...(await send('b'))];
    expect(ids(await first.waitForEvents(2))).toEqual(before);
    first.close();
    await first.waitClosed();

    const missed: number[] = [];
    for (let i = 0; i < 5; i++) {
      missed.push(...(await send('a')), ...(await send('other')), ...(await send('b')));
    }
    const onChannels = missed.filter((_, i) => i % 3 !== 1);

    const again = await TestClient.ready(t.url);
    const sub = await again.request({ type: 'subscribe', channels: ['a', 'b'], since: before.at(-1) });
    expect(sub).toMatchObject({ type: 'subscribed', channels: ['a', 'b'], recovered: true, replayed: 10 });
    expect(ids(again.events())).toEqual(onChannels);
    // The replayed events arrive before the reply, then the subscription is live.
    const replyIndex = again.frames.indexOf(sub);
    expect(again.frames.slice(replyIndex).some((f) => f.type === 'event')).toBe(false);
    const live = await send('b');
    expect(ids(await again.waitForEvents(11))).toEqual([...onChannels, ...live]);
    again.close();
  });

  test('since older than retention says recovered: false and replays what is left', async () => {
    t = await startTestHub();
    const all = await send('a', null, 6);
    // Retention removed the first three.
    await t.hub.messages.advanceHorizon(all[2]);
    const c = await TestClient.ready(t.url);
    const sub = await c.request({ type: 'subscribe', channels: ['a'], since: all[0] });
    expect(sub).toMatchObject({ recovered: false });
    const fresh = await TestClient.ready(t.url);
    const ok = await fresh.request({ type: 'subscribe', channels: ['a'], since: all[2] });
    expect(ok).toMatchObject({ recovered: true, replayed: 3 });
    expect(ids(fresh.events())).toEqual(all.slice(3));
    // A cursor from the future (another database) cannot be trusted either.
    const future = await fresh.request({ type: 'subscribe', channels: ['z'], since: 10_000 });
    expect(future).toMatchObject({ recovered: false, replayed: 0 });
    c.close();
    fresh.close();
  });

  test('the first resume also replays messages addressed to the client, without duplicating live ones', async () => {
    t = await startTestHub();
    const old = await send(null, 'bob', 2);
    const oldOnChannel = await send('room', 'bob');
    const c = await TestClient.ready(t.url, { client_id: 'bob' });
    // Reaches the connection live before it resumes.
    const liveDirect = await send(null, 'bob');
    expect(ids(await c.waitForEvents(1))).toEqual(liveDirect);
    const sub = await c.request({ type: 'subscribe', channels: ['room'], since: 0 });
    expect(sub).toMatchObject({ recovered: true, replayed: 3 });
    expect(ids(c.events())).toEqual([...liveDirect, ...old, ...oldOnChannel]);
    // Later: live on the channel and directly, each once.
    const later = [...(await send('room', 'bob')), ...(await send(null, 'bob')), ...(await send('room'))];
    expect(ids(await c.waitForEvents(7))).toEqual([...liveDirect, ...old, ...oldOnChannel, ...later]);
    await c.request({ type: 'ping' });
    expect(c.events()).toHaveLength(7);
    // A second resume on another channel does not replay the inbox again.
    const sub2 = await c.request({ type: 'subscribe', channels: ['side'], since: 0 });
    expect(sub2).toMatchObject({ replayed: 0 });
    c.close();
  });
});
