import { afterEach, expect, test } from 'bun:test';
import { Webhook } from 'standardwebhooks';
import { waitFor } from '../../helpers/hub.ts';
import { testStores } from '../../helpers/stores.ts';
import { ADMIN, type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * A lease reads the bodies of events this process did not just write (a restart, or
 * another node's writes) in the same statement; bodies it wrote recently come from
 * memory. A lease mixing both must still send each delivery its own event, signed,
 * and record exactly one attempt row per attempt.
 */
const stores = await testStores(import.meta.path);
let hubs: WebhookHub[] = [];
let receiver: Receiver | null = null;
afterEach(async () => {
  for (const h of hubs) await h.stop();
  hubs = [];
  await receiver?.stop();
});

for (const store of stores) {
  test(`${store.name}: deliveries leased after a restart carry their own events, read back or cached`, async () => {
    receiver = startReceiver();
    const storageUrl = (store.fresh() as { storage?: { url: string } }).storage?.url;
    const off = { worker: { enabled: false } };

    // Written by a hub that stops before sending: the next hub has none of them in memory.
    const first = await startWebhookHub({ storageUrl, webhooks: off });
    const endpoint = await first.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await first.send({ channel: 'c', payload: { n: i } })).id);
    await first.stop(true);

    // The next hub writes two more (in memory), then its worker leases all five together.
    const second = await startWebhookHub({ storageUrl, webhooks: off, dir: storageUrl ? undefined : first.dir });
    hubs.push(second);
    for (let i = 3; i < 5; i++) ids.push((await second.send({ channel: 'c', payload: { n: i } })).id);
    const res = await second.request('/admin/plugins/webhooks', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { worker: { enabled: true } } },
    });
    expect(res.status).toBeLessThan(300);
    await received(receiver, 5);
    // And one written while the worker runs (a lease of cached bodies only).
    ids.push((await second.send({ channel: 'c', payload: { n: 5 } })).id);
    await received(receiver, 6);

    const verifier = new Webhook(endpoint.secret);
    const sent = receiver.requests.map((r) => {
      const envelope = verifier.verify(r.body, Object.fromEntries(r.headers)) as {
        id: string;
        type: string;
        data: { id: number; payload: { n: number } };
      };
      expect(envelope.id).toBe(r.headers.get('webhook-id') as string);
      expect(envelope.type).toBe('message.sent');
      return envelope.data;
    });
    expect(sent.map((d) => d.id).sort((a, b) => a - b)).toEqual(ids);
    for (const d of sent) expect(d.payload.n).toBe(ids.indexOf(d.id));

    await waitFor(
      async () => (await second.deliveries()).every((d) => d.status === 'delivered'),
      5000,
      'every delivery recorded',
    );
    const deliveries = await second.deliveries();
    expect(deliveries).toHaveLength(6);
    for (const d of deliveries) {
      expect(d.attempts).toBe(1);
      const { attempts } = await (await second.admin(`/webhooks/deliveries/${d.id}/attempts`)).json();
      expect(attempts).toMatchObject([{ attempt: 1, outcome: 'success', status: 204 }]);
    }
  });
}
