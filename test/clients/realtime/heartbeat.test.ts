import { afterEach, expect, test } from 'bun:test';
import { type DisconnectedInfo, RealtimeClient, type RealtimeEvent } from '../../../clients/realtime/src/index.ts';
import { HeldTimers, HubUnderTest, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  if (hub?.process.proc.exitCode === null) hub.process.proc.kill('SIGCONT');
  await hub?.dispose();
  hub = client = null;
});

test('a hub that stops answering is detected by the heartbeat; the client reconnects once it answers again', async () => {
  hub = await HubUnderTest.start();
  // Real timers at a tenth of the requested delays: the heartbeat runs at 1.5 s / 1 s → 150 ms / 100 ms.
  const timers = new HeldTimers(0.1);
  client = new RealtimeClient({
    url: hub.url,
    channels: ['jobs'],
    timers,
    heartbeat: { intervalMs: 1500, timeoutMs: 1000 },
    connectTimeoutMs: 3000,
    reconnect: { initialDelayMs: 500, maxDelayMs: 1000 },
  });
  const disconnects: DisconnectedInfo[] = [];
  const events: RealtimeEvent[] = [];
  client.on('disconnected', (d) => disconnects.push(d));
  client.on('event', (e) => events.push(e));
  await client.connect();

  // Idle but alive: the pings are answered, nothing is declared dead.
  const pingsBefore = timers.requested.filter((ms) => ms === 1000).length;
  await waitFor(() => timers.requested.filter((ms) => ms === 1000).length >= pingsBefore + 3, 5000, 'three pings');
  expect(disconnects).toEqual([]);

  // Frozen: the TCP connection stays up, nothing answers.
  hub.process.proc.kill('SIGSTOP');
  await waitFor(() => disconnects.length === 1, 5000, 'the heartbeat to give up');
  expect(disconnects[0]).toEqual({ code: 1006, reason: 'heartbeat timeout', willReconnect: true });

  hub.process.proc.kill('SIGCONT');
  await waitFor(() => client?.state === 'open', 10_000, 'the reconnect');
  const id = await hub.send({ channel: 'jobs', type: 'job.created', payload: 1 });
  await waitFor(() => events.length === 1);
  expect(events[0].id).toBe(id);
});
