import { afterEach, describe, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import {
  gate,
  query,
  type Receiver,
  received,
  settle,
  startReceiver,
  startWebhookHub,
  type WebhookHub,
} from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const outbox = (h: WebhookHub) => query(h.dbPath, 'SELECT status, attempts FROM webhook_deliveries ORDER BY id');

const setEnabled = (h: WebhookHub, enabled: boolean) =>
  h.admin('/admin/plugins/webhooks', { method: 'PATCH', json: { enabled } });

describe('hot swap', () => {
  test('disabling lets an in-flight attempt finish and be recorded; pending retries resume when re-enabled', async () => {
    const slow = gate();
    receiver = startReceiver(async (_req, _i, body) => {
      const { data } = JSON.parse(body);
      if (data.payload === 'slow') await slow.wait;
      return new Response(null, { status: data.payload === 'flaky' && receiver.requests.length === 2 ? 500 : 204 });
    });
    hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0 } } });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'a', payload: 'slow' });
    await received(receiver, 1);
    await hub.send({ to: 'a', payload: 'flaky' });
    await received(receiver, 2);
    await waitFor(async () => (await hub.deliveries())[1]?.attempts === 1);

    // Disable while the slow attempt is in flight: the change waits for it (bounded by drainTimeoutMs).
    const disabling = setEnabled(hub, false);
    await settle();
    slow.release();
    expect((await disabling).status).toBe(200);
    expect(outbox(hub)).toEqual([
      { status: 'delivered', attempts: 1 },
      { status: 'pending', attempts: 1 },
    ]);

    // While disabled, the retry falls due but nothing is sent.
    await hub.clock.tick(10_000);
    await settle();
    expect(receiver.requests).toHaveLength(2);
    expect((await setEnabled(hub, true)).status).toBe(200);
    await received(receiver, 3);
    await waitFor(async () => (await hub.deliveries('status=delivered')).length === 2);
  });

  test('an attempt still in flight after drainTimeoutMs is cancelled and handed back uncounted', async () => {
    let hang = true;
    receiver = startReceiver(async () => {
      if (hang) await new Promise(() => {});
      return new Response(null, { status: 204 });
    });
    hub = await startWebhookHub({ webhooks: { worker: { drainTimeoutMs: 3000 } } });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'a' });
    await received(receiver, 1);

    const disabling = setEnabled(hub, false);
    await settle();
    await hub.clock.tick(3000);
    expect((await disabling).status).toBe(200);
    const [handedBack] = query<{ id: number; status: string; attempts: number; lease_until: number | null }>(
      hub.dbPath,
      'SELECT id, status, attempts, lease_until FROM webhook_deliveries',
    );
    expect(handedBack).toMatchObject({ status: 'pending', attempts: 0, lease_until: null });

    hang = false;
    await setEnabled(hub, true);
    await received(receiver, 2);
    await waitFor(async () => (await hub.deliveries())[0].status === 'delivered');
    expect(receiver.requests[1].headers.get('webhook-id')).toBe(receiver.requests[0].headers.get('webhook-id'));
    const { attempts } = await (await hub.admin(`/webhooks/deliveries/${handedBack.id}/attempts`)).json();
    expect(attempts).toHaveLength(1);
  });
});
