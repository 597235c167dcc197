import { afterEach, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { testStores } from '../../helpers/stores.ts';
import { type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * A recorded batch's attempt rows go in one statement (on SQLite, fed one JSON array):
 * every attempt still gets its own row, with its outcome, status, error and response
 * excerpt exactly as the receiver sent them, quotes, backslashes and non-ASCII included.
 */
const stores = await testStores(import.meta.path);
let hub: WebhookHub | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await hub?.stop();
  hub = null;
  await receiver?.stop();
});

const EXCERPT = 'nope: "quoted" \\ back\\slash, tab\there, été, 日本, 🚀, </end>';

for (const store of stores) {
  test(`${store.name}: every attempt of a batch is recorded in its own row, text intact`, async () => {
    // Each delivery fails once (500 with a body), then succeeds (204): two rows per delivery.
    const seen = new Map<string, number>();
    receiver = startReceiver((request) => {
      const id = request.headers.get('webhook-id') as string;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      return n === 1 ? new Response(EXCERPT, { status: 500 }) : new Response(null, { status: 204 });
    });
    const storageUrl = (store.fresh() as { storage?: { url: string } }).storage?.url;
    hub = await startWebhookHub({ storageUrl, webhooks: { delivery: { retrySchedule: [1], jitter: 0 } } });
    await hub.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
    const count = 20;
    await Promise.all(Array.from({ length: count }, (_, i) => hub?.send({ channel: 'c', payload: { i } })));
    await received(receiver, count);
    await waitFor(async () => (await hub?.deliveries('status=pending'))?.every((d) => d.attempts === 1) ?? false);
    await hub.clock.tick(1000);
    await received(receiver, 2 * count);
    await waitFor(async () => (await hub?.deliveries())?.every((d) => d.status === 'delivered') ?? false);

    for (const d of await hub.deliveries()) {
      expect(d.attempts).toBe(2);
      const { attempts } = await (await hub.admin(`/webhooks/deliveries/${d.id}/attempts`)).json();
      expect(attempts).toHaveLength(2);
      expect(attempts[0]).toMatchObject({
        deliveryId: d.id,
        attempt: 1,
        outcome: 'http_error',
        status: 500,
        error: 'HTTP 500',
        responseExcerpt: EXCERPT,
      });
      expect(attempts[1]).toMatchObject({
        deliveryId: d.id,
        attempt: 2,
        outcome: 'success',
        status: 204,
        error: null,
        responseExcerpt: null,
      });
      expect(typeof attempts[0].durationMs).toBe('number');
      expect(Date.parse(attempts[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(attempts[0].startedAt));
    }
  });
}
