import { afterEach, describe, expect, test } from 'bun:test';
import webhooks from '../../../plugins/webhooks/index.ts';
import type { PluginDefinition } from '../../../src/kernel/plugin.ts';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const only = [webhooks as unknown as PluginDefinition];

describe('an idle outbox', () => {
  test('with nothing pending, the plugin keeps no timer: days of clock time cost no webhook work', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub({ plugins: only, webhooks: { retention: { deliveredDays: 1, attemptDays: 1 } } });
    await settle();
    expect(hub.clock.pending).toBe(0);

    await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'a' });
    await received(receiver, 1);
    await settle();
    // One timer: the retention pass for when the delivered row expires.
    expect(hub.clock.pending).toBe(1);
    await hub.clock.tick(86_400_000);
    await settle();
    expect(hub.clock.pending).toBe(0);
    expect(await hub.deliveries()).toEqual([]);
  });
});
