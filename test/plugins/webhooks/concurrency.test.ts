import { afterEach, describe, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { gate, type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
const receivers: Receiver[] = [];
afterEach(async () => {
  await hub?.stop();
  for (const r of receivers.splice(0)) await r.stop();
});

describe('concurrency', () => {
  test('one slow endpoint does not delay deliveries to another', async () => {
    const slowGate = gate();
    let slowInFlight = 0;
    let slowPeak = 0;
    const slow = startReceiver(async () => {
      slowPeak = Math.max(slowPeak, ++slowInFlight);
      await slowGate.wait;
      slowInFlight--;
      return new Response(null, { status: 204 });
    });
    const fast = startReceiver();
    receivers.push(slow, fast);
    hub = await startWebhookHub({ webhooks: { worker: { concurrency: 4, perEndpointConcurrency: 2 } } });
    await hub.endpoint({ url: slow.url, events: ['message.sent'], channels: ['slow'] });
    await hub.endpoint({ url: fast.url, events: ['message.sent'], channels: ['fast'] });

    for (let i = 0; i < 20; i++) await hub.send({ channel: 'slow', payload: i });
    for (let i = 0; i < 20; i++) await hub.send({ channel: 'fast', payload: i });
    await received(slow, 2);
    await received(fast, 20);
    await settle();
    // The slow endpoint holds its two slots and no more; the fast one got everything meanwhile.
    expect(slow.requests).toHaveLength(2);
    expect(slowPeak).toBe(2);
    const payloads = fast.requests.map((r) => JSON.parse(r.body).data.payload as number).sort((a, b) => a - b);
    expect(payloads).toEqual(Array.from({ length: 20 }, (_, i) => i));

    slowGate.release();
    await received(slow, 20);
    await waitFor(async () => (await hub.deliveries('status=delivered')).length === 40);
    expect(slowPeak).toBe(2);
  });

  test('the global pool bounds attempts in flight over all endpoints', async () => {
    const hold = gate();
    let inFlight = 0;
    let peak = 0;
    const receiver = startReceiver(async () => {
      peak = Math.max(peak, ++inFlight);
      await hold.wait;
      inFlight--;
      return new Response(null, { status: 204 });
    });
    receivers.push(receiver);
    hub = await startWebhookHub({ webhooks: { worker: { concurrency: 3, perEndpointConcurrency: 8 } } });
    for (let i = 0; i < 3; i++) await hub.endpoint({ url: `${receiver.url}/e${i}`, events: ['message.sent'] });
    for (let i = 0; i < 5; i++) await hub.send({ to: 'agent', payload: i });
    await received(receiver, 3);
    await settle();
    expect(peak).toBe(3);
    hold.release();
    await received(receiver, 15);
    expect(peak).toBe(3);
  });
});
