import { afterEach, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * The attempts in flight share one timer (set for the earliest deadline, set again
 * after it fires): each attempt must still time out at its own deadline, whether a
 * later attempt's deadline comes sooner (a shorter timeout) or later.
 */
let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

test('attempts in flight together each time out at their own deadline', async () => {
  // Never answers: every attempt ends by its timeout.
  receiver = startReceiver(() => new Promise<Response>(() => {}));
  hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0 } } });
  const slow = await hub.endpoint({
    url: `${receiver.url}/slow`,
    events: ['message.sent'],
    channels: ['slow'],
    timeoutMs: 5000,
  });
  const quick = await hub.endpoint({
    url: `${receiver.url}/quick`,
    events: ['message.sent'],
    channels: ['quick'],
    timeoutMs: 2000,
  });
  const later = await hub.endpoint({
    url: `${receiver.url}/later`,
    events: ['message.sent'],
    channels: ['later'],
    timeoutMs: 5000,
  });
  const lastError = async (endpoint: { id: string }) =>
    (await hub.deliveries(`endpoint=${endpoint.id}`))[0]?.lastError ?? null;

  // t0: slow (due t0+5000). t0+1000: quick (t0+3000, before the timer set for slow) and later (t0+6000).
  await hub.send({ channel: 'slow' });
  await received(receiver, 1);
  await hub.clock.tick(1000);
  await hub.send({ channel: 'quick' });
  await hub.send({ channel: 'later' });
  await received(receiver, 3);

  await hub.clock.tick(1999);
  await settle();
  expect(await lastError(quick)).toBeNull();
  await hub.clock.tick(1);
  await waitFor(async () => (await lastError(quick)) === 'no response within 2000 ms', 5000, 'quick timed out');
  expect(await lastError(slow)).toBeNull();

  await hub.clock.tick(1999);
  await settle();
  expect(await lastError(slow)).toBeNull();
  await hub.clock.tick(1);
  await waitFor(async () => (await lastError(slow)) === 'no response within 5000 ms', 5000, 'slow timed out');
  expect(await lastError(later)).toBeNull();

  await hub.clock.tick(1000);
  await waitFor(async () => (await lastError(later)) === 'no response within 5000 ms', 5000, 'later timed out');
  for (const endpoint of [slow, quick, later]) {
    const [delivery] = await hub.deliveries(`endpoint=${endpoint.id}`);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
  }
});
