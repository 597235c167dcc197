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

/** Waits until the delivery has recorded `n` attempts. */
async function attempted(h: WebhookHub, n: number) {
  await waitFor(async () => (await h.deliveries()).some((d) => (d.attempts as number) >= n), 5000, `${n} attempts`);
  return (await h.deliveries())[0];
}

describe('retries', () => {
  test('a receiver failing twice gets three attempts at the scheduled times, all with the same webhook-id', async () => {
    receiver = startReceiver((_req, i) => new Response('not yet', { status: i < 2 ? 500 : 204 }));
    hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0 } } });
    const t0 = hub.clock.now();
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    await received(receiver, 1);

    const first = await attempted(hub, 1);
    expect(first.status).toBe('pending');
    expect(first.nextAttemptAt).toBe(new Date(t0 + 5000).toISOString());
    await hub.clock.tick(4999);
    await settle();
    expect(receiver.requests).toHaveLength(1);
    await hub.clock.tick(1);
    await received(receiver, 2);

    const second = await attempted(hub, 2);
    expect(second.nextAttemptAt).toBe(new Date(t0 + 5000 + 300_000).toISOString());
    await hub.clock.tick(299_999);
    await settle();
    expect(receiver.requests).toHaveLength(2);
    await hub.clock.tick(1);
    await received(receiver, 3);
    await waitFor(async () => (await hub.deliveries())[0].status === 'delivered');

    const ids = receiver.requests.map((r) => r.headers.get('webhook-id'));
    expect(new Set(ids).size).toBe(1);
    const stamps = receiver.requests.map((r) => Number(r.headers.get('webhook-timestamp')));
    expect(stamps).toEqual([t0, t0 + 5000, t0 + 305_000].map((ms) => Math.floor(ms / 1000)));
    const { attempts } = await (await hub.admin(`/webhooks/deliveries/${first.id}/attempts`)).json();
    expect(
      attempts.map((a: { attempt: number; outcome: string; status: number }) => [a.attempt, a.outcome, a.status]),
    ).toEqual([
      [1, 'http_error', 500],
      [2, 'http_error', 500],
      [3, 'success', 204],
    ]);
    expect(attempts[0].responseExcerpt).toBe('not yet');
    expect(attempts.map((a: { startedAt: string }) => Date.parse(a.startedAt) - t0)).toEqual([0, 5000, 305_000]);
  });

  test('Retry-After on 429 and 503 replaces the scheduled delay, bounded by retryAfterMaxSeconds', async () => {
    const answers = [
      () => new Response(null, { status: 429, headers: { 'retry-after': '120' } }),
      () => new Response(null, { status: 503, headers: { 'retry-after': '999999' } }),
      () => new Response(null, { status: 204 }),
    ];
    receiver = startReceiver((_req, i) => answers[Math.min(i, 2)]());
    hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0, retryAfterMaxSeconds: 600 } } });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    await received(receiver, 1);
    await attempted(hub, 1);

    await hub.clock.tick(5000); // the schedule's first delay: not used
    await settle();
    expect(receiver.requests).toHaveLength(1);
    await hub.clock.tick(115_000);
    await received(receiver, 2);
    await attempted(hub, 2);

    await hub.clock.tick(599_999); // Retry-After 999999 s is capped at 600 s
    await settle();
    expect(receiver.requests).toHaveLength(2);
    await hub.clock.tick(1);
    await received(receiver, 3);
  });

  test('a timeout counts as a failed attempt and is retried', async () => {
    let answer = false;
    receiver = startReceiver(async () => {
      if (answer) return new Response(null, { status: 204 });
      await new Promise(() => {}); // never answers
      return new Response();
    });
    hub = await startWebhookHub({ webhooks: { delivery: { jitter: 0, timeoutMs: 2000 } } });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    await received(receiver, 1);
    await hub.clock.tick(2000);
    const first = await attempted(hub, 1);
    expect(first.lastError).toBe('no response within 2000 ms');
    answer = true;
    await hub.clock.tick(5000);
    await waitFor(async () => (await hub.deliveries())[0].status === 'delivered');
    const { attempts } = await (await hub.admin(`/webhooks/deliveries/${first.id}/attempts`)).json();
    expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['timeout', 'success']);
  });

  test('410 Gone disables the endpoint with an event; PATCH enabled: true turns it back on', async () => {
    receiver = startReceiver(() => new Response('gone', { status: 410 }));
    hub = await startWebhookHub();
    const disabled: RelaykitEvents['webhook.endpoint.disabled'][] = [];
    hub.hub.bus.on('webhook.endpoint.disabled', (e) => {
      disabled.push(e);
    });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    await waitFor(() => disabled.length === 1, 5000, 'endpoint disabled');
    expect(disabled[0]).toMatchObject({ endpointId: endpoint.id, reason: 'gone', url: receiver.url });

    const state = await (await hub.admin(`/webhooks/endpoints/${endpoint.id}`)).json();
    expect(state).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect((await hub.deliveries())[0]).toMatchObject({ status: 'failed', failureReason: 'endpoint_disabled' });

    // Disabled: new messages are not queued for it.
    await hub.send({ to: 'agent' });
    await settle();
    expect(await hub.deliveries()).toHaveLength(1);

    receiver.respond(() => new Response(null, { status: 204 }));
    const patched = await hub.admin(`/webhooks/endpoints/${endpoint.id}`, { method: 'PATCH', json: { enabled: true } });
    expect(await patched.json()).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    await hub.send({ to: 'agent' });
    await received(receiver, 2);
  });
});
