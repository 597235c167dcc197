import { afterEach, expect, test } from 'bun:test';
import { type DisconnectedInfo, RealtimeClient, type RealtimeEvent } from '../../../clients/realtime/src/index.ts';
import { HeldTimers, HubUnderTest, ids, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  await hub?.dispose();
  hub = null;
});

test('after the hub is killed and restarted, the client receives what was posted while it was away: once each, in order', async () => {
  hub = await HubUnderTest.start();
  const timers = new HeldTimers();
  client = new RealtimeClient({
    url: hub.url,
    clientId: 'worker-1',
    channels: ['jobs', 'alerts'],
    timers,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });
  const events: RealtimeEvent[] = [];
  const disconnects: DisconnectedInfo[] = [];
  client.on('event', (e) => events.push(e));
  client.on('disconnected', (d) => disconnects.push(d));
  const first = await client.connect();
  expect(first).toMatchObject({ clientId: 'worker-1', reconnected: false, replayed: 0 });

  const before = [
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 1 }),
    await hub.send({ to: 'worker-1', type: 'task.assigned', payload: 2 }),
    await hub.send({ channel: 'alerts', type: 'alert', payload: 3 }),
  ];
  await waitFor(() => events.length === 3, 5000, 'the live events');

  // The client may not come back before the test has posted: its reconnect timer is held.
  timers.hold();
  await hub.kill('SIGKILL');
  await waitFor(() => disconnects.length === 1, 5000, 'the disconnect');
  expect(disconnects[0].willReconnect).toBe(true);
  await hub.restart();
  const missed = [
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 4 }),
    await hub.send({ to: 'worker-1', type: 'task.assigned', payload: 5 }),
    await hub.send({ channel: 'elsewhere', type: 'noise', payload: 0 }),
    await hub.send({ channel: 'alerts', to: 'worker-1', type: 'alert', payload: 6 }),
    await hub.send({ to: 'someone-else', type: 'task.assigned', payload: 0 }),
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 7 }),
  ].filter((_, i) => i !== 2 && i !== 4);
  expect(timers.waiting).toBe(1);
  const reconnected = new Promise((resolve) => client?.on('connected', resolve));
  timers.release();
  expect(await reconnected).toMatchObject({ reconnected: true, replayed: 4 });

  const live = await hub.send({ channel: 'jobs', type: 'job.created', payload: 8 });
  await waitFor(() => events.length === 8, 5000, 'the live event after the resume');
  expect(ids(events)).toEqual([...before, ...missed, live]);
  expect(events.map((e) => e.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(client.cursors()).toEqual({ channels: { jobs: live, alerts: live }, direct: live });
});

test('a client resumes exactly once through a crash while messages keep coming', async () => {
  hub = await HubUnderTest.start();
  // The client's reconnect waits until the restarted hub has acknowledged posts, so messages
  // are always posted while it is away (however fast the hub comes back on a busy machine).
  const timers = new HeldTimers();
  client = new RealtimeClient({
    url: hub.url,
    clientId: 'reader',
    channels: ['feed'],
    timers,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    random: () => 0,
  });
  const away: number[] = [];
  client.on('disconnected', () => away.push(acked.length));
  client.on('connected', () => away.length && away.push(acked.length));
  const received: number[] = [];
  client.onEvent('*', (e) => received.push(e.id as number));
  // A producer posts on the channel and to the client, and remembers what the hub acknowledged.
  const acked: number[] = [];
  await client.connect();
  let producing = true;
  let n = 0;
  const producer = (async () => {
    while (producing) {
      const message =
        n % 3 === 0 ? { to: 'reader', type: 'direct', payload: n } : { channel: 'feed', type: 'tick', payload: n };
      n++;
      try {
        acked.push(await (hub as HubUnderTest).send(message));
      } catch {
        await Bun.sleep(20); // the hub is down: try the next one shortly
      }
    }
  })();

  await waitFor(() => acked.length >= 30, 10_000, 'traffic before the crash');
  timers.hold();
  await hub.kill('SIGKILL');
  const duringOutage = acked.length;
  await hub.restart();
  await waitFor(() => acked.length >= duringOutage + 10, 10_000, 'traffic while the client is away');
  timers.release();
  // The client resumes while the producer keeps posting.
  await waitFor(() => acked.length >= duringOutage + 40, 10_000, 'traffic after the restart');
  producing = false;
  await producer;

  const last = acked[acked.length - 1];
  await waitFor(() => received.includes(last), 10_000, 'the last acknowledged message');
  // In order, each once, nothing acknowledged missing (a post cut by the crash may be stored unacknowledged).
  expect(received).toEqual([...received].sort((a, b) => a - b));
  expect(new Set(received).size).toBe(received.length);
  for (const id of acked) expect(received).toContain(id);
  const stored = (await (await fetch(`${hub.url}/messages?limit=1000`)).json()) as { messages: Array<{ id: number }> };
  expect(received).toEqual(stored.messages.map((m) => m.id));
  // The hub acknowledged messages between the client's disconnect and its return.
  expect(away).toHaveLength(2);
  expect(away[1]).toBeGreaterThan(away[0]);
});
