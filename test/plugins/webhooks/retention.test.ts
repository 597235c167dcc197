import { afterEach, describe, expect, test } from 'bun:test';
import { FIRST_PASS_DELAY_MS } from '../../../plugins/webhooks/retention.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { waitFor } from '../../helpers/hub.ts';
import { query, type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const DAY = 86_400_000;
const counts = (h: WebhookHub) =>
  query<{ deliveries: number; attempts: number; events: number }>(
    h.dbPath,
    `SELECT (SELECT count(*) FROM webhook_deliveries) AS deliveries,
            (SELECT count(*) FROM webhook_attempts) AS attempts,
            (SELECT count(*) FROM webhook_events) AS events`,
  )[0];

describe('retention', () => {
  test('delivered deliveries, attempts and events go after their retention, failed ones are kept longer, in batches', async () => {
    receiver = startReceiver(
      (_req, _i, body) => new Response(null, { status: JSON.parse(body).data.payload === 'bad' ? 500 : 204 }),
    );
    hub = await startWebhookHub({
      webhooks: {
        delivery: { retrySchedule: [] },
        retention: { deliveredDays: 1, failedDays: 3, attemptDays: 2, intervalMs: 3_600_000, batchSize: 10 },
      },
    });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    for (let i = 0; i < 25; i++) await hub.send({ to: 'a', payload: i });
    await hub.send({ to: 'a', payload: 'bad' });
    await received(receiver, 26);
    await waitFor(() => counts(hub).attempts === 26);
    expect(counts(hub)).toEqual({ deliveries: 26, attempts: 26, events: 26 });

    // A day and an hour later: the 25 delivered ones go, ten rows per statement, pass after pass.
    await hub.clock.tick(DAY + 3_600_000);
    await waitFor(() => counts(hub).deliveries === 1, 5000, 'delivered pruned');
    await waitFor(() => counts(hub).events === 1, 5000, 'events pruned');
    expect(counts(hub)).toEqual({ deliveries: 1, attempts: 1, events: 1 });

    // The failed one's attempt goes after two days, the delivery itself after three.
    await hub.clock.tick(DAY);
    await waitFor(() => counts(hub).attempts === 0, 5000, 'attempts pruned');
    expect(counts(hub).deliveries).toBe(1);
    await hub.clock.tick(DAY);
    await waitFor(() => counts(hub).deliveries === 0 && counts(hub).events === 0, 5000, 'failed pruned');
  });

  test('rows that expired while the hub was down go in the first pass, which waits until the hub is ready', async () => {
    receiver = startReceiver();
    const retention = { deliveredDays: 1, failedDays: 1, attemptDays: 1, intervalMs: 3_600_000 };
    const first = await startWebhookHub({ webhooks: { retention } });
    await first.endpoint({ url: receiver.url, events: ['message.sent'] });
    await first.send({ to: 'a' });
    await received(receiver, 1);
    await waitFor(() => counts(first).attempts === 1);
    await first.stop(true);

    // Two days later: nothing new is recorded, so only the start's pass can find the expired rows.
    hub = await startWebhookHub({
      webhooks: { retention },
      dir: first.dir,
      clock: new ManualClock(Date.now() + 2 * DAY),
      firstPass: false,
    });
    // Ready does not wait for it: its statements run a second (on the hub's clock) after the start.
    expect(counts(hub)).toEqual({ deliveries: 1, attempts: 1, events: 1 });
    await hub.clock.tick(FIRST_PASS_DELAY_MS - 1);
    expect(counts(hub)).toEqual({ deliveries: 1, attempts: 1, events: 1 });
    await hub.clock.tick(1);
    await waitFor(() => counts(hub).deliveries === 0, 5000, 'expired rows pruned after the restart');
    expect(counts(hub)).toEqual({ deliveries: 0, attempts: 0, events: 0 });
  });

  test('pending deliveries are never pruned, whatever their age', async () => {
    receiver = startReceiver(() => new Response(null, { status: 503 }));
    hub = await startWebhookHub({
      webhooks: {
        delivery: { retrySchedule: [6 * 86_400], jitter: 0 },
        retention: { deliveredDays: 1, failedDays: 1, attemptDays: 1, intervalMs: 3_600_000 },
      },
    });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'a' });
    await received(receiver, 1);
    await waitFor(() => counts(hub).attempts === 1);
    await hub.clock.tick(5 * DAY);
    await waitFor(() => counts(hub).attempts === 0);
    expect(counts(hub)).toMatchObject({ deliveries: 1, events: 1 });
  });
});
