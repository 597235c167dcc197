import { afterEach, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { gate, type Receiver, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * The worker records attempts in batches (successes are marked delivered together,
 * failures one by one). A batch must still apply its results to an endpoint in the
 * order they ended: a failure then a success leaves the endpoint with no run of
 * failures. Here both land in one batch: with `concurrency` 8 a batch is two results,
 * and two other endpoints keep more than half the ready queue full, so nothing is
 * claimed (which would record at once) until both of endpoint x's attempts have ended.
 */
let hub: WebhookHub | null = null;
let receiver: Receiver | null = null;
/** Releases every held request (a stopping hub waits for its attempts on a clock that does not move). */
let releaseAll = () => {};
afterEach(async () => {
  releaseAll();
  await hub?.stop();
  hub = null;
  await receiver?.stop();
});

test('a failure then a success in one recorded batch leaves the endpoint without a run of failures', async () => {
  const held = gate();
  const x = [gate(), gate()];
  releaseAll = () => {
    for (const g of [held, ...x]) g.release();
  };
  let xSeen = 0;
  receiver = startReceiver(async (request) => {
    if (!request.url.endsWith('/x')) {
      await held.wait;
      return new Response(null, { status: 204 });
    }
    const n = xSeen++;
    await (n < 2 ? x[n].wait : held.wait);
    return new Response(null, { status: n === 0 ? 500 : 204 });
  });
  hub = await startWebhookHub({
    webhooks: { worker: { concurrency: 8, perEndpointConcurrency: 2 }, delivery: { jitter: 0 } },
  });
  const endpoint = await hub.endpoint({ url: `${receiver.url}/x`, events: ['message.sent'] });
  await hub.endpoint({ url: `${receiver.url}/y`, events: ['message.sent'] });
  await hub.endpoint({ url: `${receiver.url}/z`, events: ['message.sent'] });
  // Four messages: four deliveries per endpoint, two in flight and two ready for each.
  for (let i = 0; i < 4; i++) await hub.send({ channel: 'c' });
  await waitFor(() => xSeen === 2, 5000, "x's first two attempts");
  // The last message's deliveries are leased too (ready queue: six).
  await settle();

  // x's first attempt fails; its slot goes to x's third delivery (seen at the receiver, held), nothing is recorded yet.
  x[0].release();
  await waitFor(() => xSeen === 3, 5000, "x's third attempt");
  // x's second attempt succeeds: the batch of two (failure, then success) is recorded.
  x[1].release();
  await waitFor(
    async () => (await hub!.deliveries()).some((d) => d.status === 'delivered'),
    5000,
    'the batch recorded',
  );
  const state = await (await hub.admin(`/webhooks/endpoints/${endpoint.id}`)).json();
  expect(state).toMatchObject({ consecutiveFailures: 0, failingSince: null });
  const failed = (await hub.deliveries()).filter((d) => d.lastStatus === 500);
  expect(failed).toHaveLength(1);
});
