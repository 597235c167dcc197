import { afterEach, expect, test } from 'bun:test';
import { backoffDelay, RealtimeClient } from '../../../clients/realtime/src/index.ts';
import { HeldTimers, HubUnderTest, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let client: RealtimeClient | null = null;
afterEach(async () => {
  client?.close();
  await hub?.dispose();
  hub = client = null;
});

test('delays grow exponentially up to the cap, with the jitter taking up to its share off', () => {
  const options = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };
  expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, options, () => 0))).toEqual([
    500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
  ]);
  expect(backoffDelay(3, options, () => 0.999999)).toBe(1000);
  expect(backoffDelay(3, { ...options, jitter: 1 }, () => 0.5)).toBe(1000);
  expect(backoffDelay(3, { ...options, jitter: 0 }, () => 0.9)).toBe(2000);
});

test('while the hub is down the client retries on the backoff schedule, and starts over once connected', async () => {
  hub = await HubUnderTest.start();
  await hub.kill('SIGTERM');
  // Requested delays are kept; they run at a hundredth of their length.
  const timers = new HeldTimers(0.01);
  client = new RealtimeClient({
    url: hub.url,
    timers,
    random: () => 0.5,
    reconnect: { initialDelayMs: 1000, maxDelayMs: 8000, factor: 2, jitter: 0.5 },
  });
  const attempts: Array<[number, number]> = [];
  client.on('reconnecting', (r) => attempts.push([r.attempt, r.delayMs]));
  const connected = client.connect();
  await waitFor(() => attempts.length >= 6, 10_000, 'six attempts');
  expect(attempts.slice(0, 6)).toEqual([
    [1, 750],
    [2, 1500],
    [3, 3000],
    [4, 6000],
    [5, 6000],
    [6, 6000],
  ]);

  await hub.restart();
  expect(await connected).toMatchObject({ reconnected: false });
  attempts.length = 0;
  await hub.kill('SIGKILL');
  await waitFor(() => attempts.length >= 1);
  expect(attempts[0]).toEqual([1, 750]);
});
