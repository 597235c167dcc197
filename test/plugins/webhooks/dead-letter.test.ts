import { afterEach, describe, expect, test } from 'bun:test';
import type { RelaykitEvents } from '../../../src/kernel/events.ts';
import { waitFor } from '../../helpers/hub.ts';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const failing = () => new Response('down', { status: 500 });
const ok = () => new Response(null, { status: 204 });

async function statusOf(h: WebhookHub, id: number): Promise<Record<string, unknown>> {
  return (await h.admin(`/webhooks/deliveries/${id}`)).json();
}

describe('exhausted deliveries', () => {
  test('exhaustion marks the delivery failed with an event; a manual retry delivers it with the same webhook-id', async () => {
    receiver = startReceiver(failing);
    hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0, retrySchedule: [1, 2] } } });
    const exhausted: RelaykitEvents['webhook.delivery.exhausted'][] = [];
    hub.hub.bus.on('webhook.delivery.exhausted', (e) => {
      exhausted.push(e);
    });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent', type: 'job.done' });
    await received(receiver, 1);
    await settle();
    await hub.clock.tick(1000);
    await received(receiver, 2);
    await settle();
    await hub.clock.tick(2000);
    await received(receiver, 3);
    await waitFor(() => exhausted.length === 1, 5000, 'exhausted event');

    const [delivery] = await hub.deliveries('status=failed');
    expect(delivery).toMatchObject({ status: 'failed', failureReason: 'exhausted', attempts: 3, lastStatus: 500 });
    expect(exhausted[0]).toMatchObject({
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      eventType: 'message.sent',
      attempts: 3,
      lastStatus: 500,
    });
    // The dead letter stays: nothing more is attempted.
    await hub.clock.tick(3_600_000);
    await settle();
    expect(receiver.requests).toHaveLength(3);

    receiver.respond(ok);
    const retried = await hub.admin(`/webhooks/deliveries/${delivery.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    await received(receiver, 4);
    await waitFor(async () => (await statusOf(hub, delivery.id)).status === 'delivered');
    expect(await statusOf(hub, delivery.id)).toMatchObject({ attempts: 4, failureReason: null });
    expect(new Set(receiver.requests.map((r) => r.headers.get('webhook-id'))).size).toBe(1);
  });

  test('recover re-queues every failed delivery of the endpoint since a time, and only those', async () => {
    receiver = startReceiver(failing);
    hub = await startWebhookHub({ webhooks: { delivery: { retrySchedule: [] } } });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    const early = await hub.send({ to: 'agent', payload: 'early' });
    await received(receiver, 1);
    await hub.clock.tick(60_000);
    const since = new Date(hub.clock.now()).toISOString();
    await hub.send({ to: 'agent', payload: 'late-1' });
    await hub.send({ to: 'agent', payload: 'late-2' });
    await received(receiver, 3);
    await waitFor(async () => (await hub.deliveries('status=failed')).length === 3);

    receiver.respond(ok);
    const res = await hub.admin(`/webhooks/endpoints/${endpoint.id}/recover`, { method: 'POST', json: { since } });
    expect(await res.json()).toEqual({ requeued: 2 });
    await received(receiver, 5);
    await waitFor(async () => (await hub.deliveries('status=delivered')).length === 2);
    const failed = await hub.deliveries('status=failed');
    expect(failed.map((d) => d.messageId)).toEqual([early.id]);
  });

  test('an endpoint failing beyond the threshold (count and time) is disabled and its pending deliveries fail', async () => {
    receiver = startReceiver(failing);
    hub = await startWebhookHub({
      webhooks: {
        delivery: { jitter: 0, retrySchedule: [10, 10, 10, 10, 10, 10, 10, 10] },
        autoDisable: { failures: 3, windowSeconds: 60 },
      },
    });
    const disabled: RelaykitEvents['webhook.endpoint.disabled'][] = [];
    hub.hub.bus.on('webhook.endpoint.disabled', (e) => {
      disabled.push(e);
    });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    for (let i = 1; i <= 5; i++) {
      await received(receiver, i);
      await settle();
      await hub.clock.tick(10_000);
    }
    await received(receiver, 6);
    await settle();
    // Six failures, more than three, but over 50 s only: still enabled.
    expect(disabled).toHaveLength(0);
    await hub.clock.tick(10_000);
    await received(receiver, 7);
    await waitFor(() => disabled.length === 1, 5000, 'disabled event');
    expect(disabled[0]).toMatchObject({ endpointId: endpoint.id, reason: 'failing', consecutiveFailures: 7 });
    expect((await hub.deliveries())[0]).toMatchObject({ status: 'failed', failureReason: 'endpoint_disabled' });
    expect(await (await hub.admin(`/webhooks/endpoints/${endpoint.id}`)).json()).toMatchObject({
      enabled: false,
      disabledReason: 'failing',
    });

    // Retry and recover need the endpoint enabled first.
    const refused = await hub.admin(`/webhooks/endpoints/${endpoint.id}/recover`, {
      method: 'POST',
      json: { since: new Date(0).toISOString() },
    });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe('RELAYKIT_ERR_WEBHOOK_ENDPOINT_DISABLED');
  });

  test('a success resets the run of failures, so a flaky endpoint is never disabled', async () => {
    receiver = startReceiver((_req, i) => (i % 2 ? ok() : failing()));
    hub = await startWebhookHub({
      webhooks: { delivery: { jitter: 0 }, autoDisable: { failures: 2, windowSeconds: 0 } },
    });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    for (let i = 0; i < 3; i++) {
      await hub.send({ to: 'agent' });
      await received(receiver, 2 * i + 1);
      await settle();
      await hub.clock.tick(5000);
      await received(receiver, 2 * i + 2);
      await settle();
    }
    const state = await (await hub.admin(`/webhooks/endpoints/${endpoint.id}`)).json();
    expect(state).toMatchObject({ enabled: true, consecutiveFailures: 0, failingSince: null });
  });
});
