import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { post, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await t?.stop();
});

const TYPES = ['task.created', 'task.done', 'chat', 'notification'];

describe('sse filters', () => {
  test('a stream gets its channels, messages addressed to its client and the broadcast channel, and nothing else', async () => {
    t = await startTestHub();
    const alice = watch(`${t.url}/stream/events?client_id=alice&channels=room-1,room-2`, TYPES);
    const bob = watch(`${t.url}/stream/events?client_id=bob&channels=room-3`, TYPES);
    sources.push(alice, bob);
    await waitFor(() => alice.named('relaykit.connected').length === 1 && bob.named('relaykit.connected').length === 1);

    const ids = await post(t.url, [
      { channel: 'room-1', type: 'chat', payload: 'one' }, // alice
      { channel: 'room-3', type: 'chat', payload: 'three' }, // bob
      { to: 'alice', type: 'task.created', payload: { n: 1 } }, // alice
      { to: 'carol', type: 'task.created' }, // nobody
      { channel: 'room-2', to: 'alice', type: 'chat', payload: 'both' }, // alice, once
      { channel: 'broadcast', type: 'notification', payload: 0 }, // everyone
      { channel: 'room-9', type: 'chat' }, // nobody
    ]);
    await waitForIds(alice, 4);
    await waitForIds(bob, 2);

    expect(alice.ids()).toEqual([ids[0], ids[2], ids[4], ids[5]]);
    expect(bob.ids()).toEqual([ids[1], ids[5]]);
    expect(alice.events.find((e) => e.id === String(ids[2]))).toMatchObject({
      event: 'task.created',
      data: { id: ids[2], channel: null, to: 'alice', event: 'task.created', data: { n: 1 } },
    });
    // `data: 0` survives (Elysia's sse() helper drops it).
    expect(bob.named('notification')[0].data).toMatchObject({ data: 0, channel: 'broadcast' });
    expect(alice.named('relaykit.connected')[0].data).toMatchObject({
      client_id: 'alice',
      channels: ['room-1', 'room-2', 'broadcast'],
      subscribe: null,
    });
  });

  test('subscribe= keeps only the listed message types, on channels and direct messages alike', async () => {
    t = await startTestHub();
    const tasks = watch(`${t.url}/stream/events?client_id=dan&channels=work&subscribe=task.created,task.done`, TYPES);
    sources.push(tasks);
    await waitFor(() => tasks.named('relaykit.connected').length === 1);

    const ids = await post(t.url, [
      { channel: 'work', type: 'task.created' },
      { channel: 'work', type: 'chat' },
      { to: 'dan', type: 'chat' },
      { to: 'dan', type: 'task.done' },
      { channel: 'broadcast', type: 'notification' },
      { channel: 'work', type: 'task.done' },
    ]);
    await waitForIds(tasks, 3);
    // A last message everyone wants proves nothing else was on its way.
    const [last] = await post(t.url, [{ channel: 'work', type: 'task.created' }]);
    await waitForIds(tasks, 4);

    expect(tasks.ids()).toEqual([ids[0], ids[3], ids[5], last]);
    expect(tasks.events.filter((e) => !e.event.startsWith('relaykit.')).map((e) => e.event)).toEqual([
      'task.created',
      'task.done',
      'task.done',
      'task.created',
    ]);
  });

  test('the payload data format sends the message payload alone', async () => {
    t = await startTestHub({ overrides: { plugins: { sse: { data: 'payload' } } } });
    const s = watch(`${t.url}/stream/events?channels=c`, TYPES);
    sources.push(s);
    await waitFor(() => s.named('relaykit.connected').length === 1);
    await post(t.url, [{ channel: 'c', type: 'chat', payload: { text: 'hi\nthere' } }]);
    await waitForIds(s, 1);
    expect(s.named('chat')[0].data).toEqual({ text: 'hi\nthere' });
  });
});
