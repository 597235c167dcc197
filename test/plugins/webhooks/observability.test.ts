import { afterEach, describe, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const metric = async (h: WebhookHub, name: string, labels = '') => {
  const text = await h.hub.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

const healthOf = async (h: WebhookHub) => {
  const check = h.hub.view.healthChecks().find((c) => c.name === 'webhooks:oldestPending');
  if (!check) throw new Error('no webhooks health check');
  return check.check();
};

describe('metrics and health', () => {
  test('attempts and deliveries by outcome, latency, outbox depth and the oldest pending age', async () => {
    receiver = startReceiver(
      (_req, _i, body) => new Response(null, { status: JSON.parse(body).data.payload === 'bad' ? 500 : 204 }),
    );
    hub = await startWebhookHub({
      webhooks: { delivery: { retrySchedule: [600], jitter: 0 }, health: { oldestPendingWarnSeconds: 300 } },
    });
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    for (let i = 0; i < 3; i++) await hub.send({ to: 'a', payload: i });
    await hub.send({ to: 'a', payload: 'bad' });
    await received(receiver, 4);
    await waitFor(async () => (await metric(hub, 'relaykit_webhook_attempts_total', '{outcome="http_error"}')) === 1);

    expect(await metric(hub, 'relaykit_webhook_attempts_total', '{outcome="success"}')).toBe(3);
    expect(await metric(hub, 'relaykit_webhook_deliveries_total', '{outcome="delivered"}')).toBe(3);
    expect(await metric(hub, 'relaykit_webhook_deliveries_enqueued_total')).toBe(4);
    expect(await metric(hub, 'relaykit_webhook_attempt_duration_seconds_count', '{outcome="success"}')).toBe(3);
    expect(await metric(hub, 'relaykit_webhook_outbox_depth')).toBe(1);
    expect(await metric(hub, 'relaykit_webhook_endpoints', '{state="enabled"}')).toBe(1);
    expect(await healthOf(hub)).toMatchObject({ status: 'pass', observedValue: 0, observedUnit: 's' });

    // The failed one waits ten minutes for its retry: past the 300 s threshold, health warns.
    await hub.clock.tick(301_000);
    expect(await metric(hub, 'relaykit_webhook_oldest_pending_age_seconds')).toBe(301);
    const warn = await healthOf(hub);
    expect(warn.status).toBe('warn');
    expect(warn.output).toContain('301 s old');

    receiver.respond(() => new Response(null, { status: 204 }));
    await hub.clock.tick(300_000);
    await received(receiver, 5);
    await waitFor(async () => (await metric(hub, 'relaykit_webhook_outbox_depth')) === 0);
    expect((await healthOf(hub)).status).toBe('pass');
  });

  test("the plugin's metrics leave the registry when it is disabled, and come back with it", async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const duration = 'relaykit_webhook_attempt_duration_seconds_count';
    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'agent' });
    await waitFor(async () => (await metric(hub, duration, '{outcome="success"}')) === 1);
    expect(await metric(hub, 'relaykit_webhook_outbox_depth')).toBe(0);
    await hub.admin('/admin/plugins/webhooks', { method: 'PATCH', json: { enabled: false } });
    expect(await metric(hub, 'relaykit_webhook_outbox_depth')).toBeUndefined();
    expect(await metric(hub, duration, '{outcome="success"}')).toBeUndefined();
    expect(hub.hub.view.healthChecks().some((c) => c.name.startsWith('webhooks:'))).toBe(false);

    // Enabled again: registered afresh (no name left over), counting from zero.
    await hub.admin('/admin/plugins/webhooks', { method: 'PATCH', json: { enabled: true } });
    await hub.send({ to: 'agent' });
    await received(receiver, 2);
    await waitFor(async () => (await metric(hub, duration, '{outcome="success"}')) === 1);
  });
});
