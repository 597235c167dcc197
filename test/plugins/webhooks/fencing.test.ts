import { afterEach, expect, test } from 'bun:test';
import postgres from 'postgres';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { waitFor } from '../../helpers/hub.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { gate, type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * Two hubs on one PostgreSQL database. Hub A's attempt hangs past its lease; hub B
 * (whose clock is past that lease) claims the delivery again and delivers it. When
 * A's attempt finally answers, A must not record it: the row carries B's claim
 * token now. Without the fence, A would add a second attempt and settle the row again.
 * Also: an endpoint created on one hub is used by the other hub's very next commit.
 */
const db = await createTestDatabase(import.meta.path);
let hubs: WebhookHub[] = [];
let receiver: Receiver | null = null;
afterEach(async () => {
  for (const h of hubs) await h.stop();
  hubs = [];
  await receiver?.stop();
});

test.skipIf(!db)('a worker whose lease expired cannot settle a delivery another worker claimed', async () => {
  const url = db!.url({ schema: 'fence' });
  const hold = gate();
  receiver = startReceiver(async (_request, index) => {
    if (index === 0) await hold.wait;
    return new Response(null, { status: 204 });
  });
  const start = Date.UTC(2026, 5, 1);
  const a = await startWebhookHub({ clock: new ManualClock(start), storageUrl: url });
  hubs.push(a);
  await a.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
  await a.send({ channel: 'c' });
  await received(receiver, 1);

  // B's clock is past A's lease (twice the 10 s timeout plus 10 s grace): the row is due again for it.
  const b = await startWebhookHub({ clock: new ManualClock(start + 60_000), storageUrl: url });
  hubs.push(b);
  await received(receiver, 2);
  const [first, second] = receiver.requests;
  expect(second.headers.get('webhook-id')).toBe(first.headers.get('webhook-id'));

  const sql = postgres(db!.url(), { max: 1 });
  try {
    await waitFor(
      async () => (await sql`select status from fence.webhook_deliveries`)[0]?.status === 'delivered',
      5000,
      "B's result",
    );
    hold.release();
    // A records its result in its next cycle: give it the chance, then check it changed nothing.
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 10));
    await a.stop();
    hubs = hubs.filter((h) => h !== a);
    const attempts = await sql`select attempt from fence.webhook_attempts`;
    expect(attempts.map((r) => r.attempt)).toEqual([1]);
    const [row] = await sql`select status, attempts from fence.webhook_deliveries`;
    expect(row).toEqual({ status: 'delivered', attempts: 1 });
  } finally {
    await sql.end();
  }
});

test.skipIf(!db)("an endpoint created on one hub is used by the other hub's next commit", async () => {
  const url = db!.url({ schema: 'cache' });
  receiver = startReceiver();
  const a = await startWebhookHub({ storageUrl: url });
  const b = await startWebhookHub({ storageUrl: url });
  hubs.push(a, b);
  // B has loaded its (empty) endpoint cache; A creates one, then B commits at once.
  await b.send({ channel: 'before' });
  await a.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
  const message = await b.send({ channel: 'after' });
  await received(receiver, 1);
  expect(JSON.parse(receiver.requests[0].body).data.id).toBe(message.id);
  // And B's admin API lists it without a restart.
  const listed = await (await b.admin('/webhooks/endpoints')).json();
  expect(listed.endpoints.length).toBe(1);
  // A disables it; B's next commit writes no delivery.
  const id = listed.endpoints[0].id;
  await a.admin(`/webhooks/endpoints/${id}`, { method: 'PATCH', json: { enabled: false } });
  await b.send({ channel: 'disabled' });
  expect((await b.deliveries()).length).toBe(1);
});
