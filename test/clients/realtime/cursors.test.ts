import { afterEach, expect, test } from 'bun:test';
import { RealtimeClient, type RealtimeEvent } from '../../../clients/realtime/src/index.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

let t: TestHub | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  await t?.stop();
  t = client = null;
});

test('persisted cursors resume each channel and the direct messages from their own id, without duplicates', async () => {
  t = await startTestHub();
  const send = async (m: { channel?: string; to?: string }) =>
    (await t?.hub.messages.send({ ...m, type: 'm', payload: null }))?.id as number;
  const a1 = await send({ channel: 'a' });
  const b1 = await send({ channel: 'b' });
  const d1 = await send({ to: 'me' });
  const a2 = await send({ channel: 'a' });
  const b2 = await send({ channel: 'b' });
  const d2 = await send({ to: 'me' });
  const a3 = await send({ channel: 'a' });
  expect([a1, b1, d1, a2, b2, d2, a3]).toEqual([1, 2, 3, 4, 5, 6, 7]);

  // One resume frame from the smallest cursor (a1): the client drops what it had under b's and the inbox's.
  client = new RealtimeClient({
    url: t.url,
    clientId: 'me',
    channels: ['a', 'b'],
    cursors: { channels: { a: a1, b: b2 }, direct: d1 },
  });
  const events: RealtimeEvent[] = [];
  client.on('event', (e) => events.push(e));
  const info = await client.connect();
  expect(info.replayed).toBe(3);
  expect(events.map((e) => e.id)).toEqual([a2, d2, a3]);

  const b3 = await send({ channel: 'b' });
  await waitFor(() => events.length === 4);
  expect(events.at(-1)?.id).toBe(b3);
  expect(client.cursors()).toEqual({ channels: { a: b3, b: b3 }, direct: b3 });
});

test('a channel subscribed later starts where the client is, not at the beginning of the log', async () => {
  t = await startTestHub();
  await t.hub.messages.send({ channel: 'late', type: 'old', payload: null });
  client = new RealtimeClient({ url: t.url });
  const events: RealtimeEvent[] = [];
  await client.connect();
  const late = client.channel('late');
  late.on('new', (e) => events.push(e));
  late.on('old', (e) => events.push(e));
  await client.subscribe(['late']);
  const fresh = await t.hub.messages.send({ channel: 'late', type: 'new', payload: 1 });
  await waitFor(() => events.length === 1);
  expect(events.map((e) => [e.id, e.event])).toEqual([[fresh.id, 'new']]);
});
