import { afterEach, describe, expect, test } from 'bun:test';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
const receivers: Receiver[] = [];
afterEach(async () => {
  await hub?.stop();
  for (const r of receivers.splice(0)) await r.stop();
});

function receiver(): Receiver {
  const r = startReceiver();
  receivers.push(r);
  return r;
}

const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body));

describe('event selection', () => {
  test('event wildcards and channel filters pick what each endpoint receives', async () => {
    const orders = receiver();
    const everything = receiver();
    const clients = receiver();
    hub = await startWebhookHub();
    await hub.endpoint({ url: orders.url, events: ['message.*'], channels: ['orders.*'] });
    await hub.endpoint({ url: everything.url, events: ['*'] });
    await hub.endpoint({ url: clients.url, events: ['client.connected'] });

    const m = await hub.send({ channel: 'orders.eu', type: 'order.placed', payload: { total: 3 } });
    await hub.send({ channel: 'chat', type: 'said', payload: 'hi' });
    await hub.send({ to: 'agent', type: 'direct', payload: 1 });
    hub.hub.bus.publish('client.connected', { clientId: 'c1', transport: 'ws', at: new Date().toISOString() });
    await hub.request(`/messages/${m.id}/ack`, { method: 'POST', json: { by: 'worker' } });

    await received(everything, 5);
    await received(orders, 2);
    await received(clients, 1);
    await settle();
    // Deliveries run concurrently: compare what arrived, not in which order.
    const types = (r: Receiver) =>
      bodies(r)
        .map((b) => b.type as string)
        .sort();
    expect(types(orders)).toEqual(['message.delivered', 'message.sent']);
    expect(bodies(orders).find((b) => b.type === 'message.sent').data).toMatchObject({
      id: m.id,
      channel: 'orders.eu',
      payload: { total: 3 },
    });
    expect(types(everything)).toEqual([
      'client.connected',
      'message.delivered',
      'message.sent',
      'message.sent',
      'message.sent',
    ]);
    expect(bodies(clients)).toEqual([
      expect.objectContaining({ type: 'client.connected', data: expect.objectContaining({ clientId: 'c1' }) }),
    ]);
    // The envelope: { id, type, timestamp, data }, id = webhook-id.
    const [first] = everything.requests;
    const envelope = JSON.parse(first.body);
    expect(Object.keys(envelope)).toEqual(['id', 'type', 'timestamp', 'data']);
    expect(envelope.id).toBe(first.headers.get('webhook-id'));
    expect(envelope.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });

  test('an endpoint does not receive webhook events about itself', async () => {
    const watcher = receiver();
    const gone = startReceiver(() => new Response(null, { status: 410 }));
    receivers.push(gone);
    hub = await startWebhookHub();
    const watcherEndpoint = await hub.endpoint({ url: watcher.url, events: ['webhook.*'] });
    const goneEndpoint = await hub.endpoint({ url: gone.url, events: ['message.sent', 'webhook.*'] });
    await hub.send({ to: 'agent' });
    await received(watcher, 1);
    await settle();
    expect(bodies(watcher)[0]).toMatchObject({
      type: 'webhook.endpoint.disabled',
      data: { endpointId: goneEndpoint.id, reason: 'gone' },
    });
    expect(gone.requests).toHaveLength(1);
    expect(watcherEndpoint.id).not.toBe(goneEndpoint.id);
  });
});

describe('formats', () => {
  test('slack gets {text} and discord gets {content} (≤ 2000 chars, no pings), one readable line each', async () => {
    const slack = receiver();
    const discord = receiver();
    hub = await startWebhookHub();
    await hub.endpoint({ url: slack.url, events: ['error.occurred'], format: 'slack' });
    await hub.endpoint({ url: discord.url, events: ['error.occurred', 'message.sent'], format: 'discord' });

    hub.hub.bus.publish('error.occurred', {
      source: 'storage',
      code: 'DISK_FULL',
      message: 'Disk <almost> full\nsecond line',
      at: new Date().toISOString(),
    });
    await hub.send({ channel: 'logs', type: 'log.line', payload: { text: '@everyone '.repeat(400) } });
    await received(slack, 1);
    await received(discord, 2);

    expect(bodies(slack)).toEqual([
      { text: '[relaykit] error in storage: DISK_FULL: Disk &lt;almost&gt; full second line' },
    ]);
    const [alert, message] = bodies(discord);
    expect(alert).toEqual({
      content: '[relaykit] error in storage: DISK_FULL: Disk <almost> full second line',
      allowed_mentions: { parse: [] },
    });
    expect(message.content.length).toBeLessThanOrEqual(2000);
    expect(message.content).toStartWith('[relaykit] message log.line #');
    expect(message.content).not.toContain('\n');
    // Chat formats are signed too.
    expect(discord.requests[0].headers.get('webhook-signature')).toStartWith('v1,');
  });

  test('a test event reaches only the endpoint it was sent to', async () => {
    const target = receiver();
    const other = receiver();
    hub = await startWebhookHub();
    const endpoint = await hub.endpoint({ url: target.url, events: ['message.sent'] });
    await hub.endpoint({ url: other.url, events: ['*'] });
    const res = await hub.admin(`/webhooks/endpoints/${endpoint.id}/test`, { method: 'POST' });
    expect(res.status).toBe(202);
    const delivery = await res.json();
    expect(delivery).toMatchObject({ endpointId: endpoint.id, eventType: 'webhook.test', status: 'pending' });
    await received(target, 1);
    await settle();
    expect(bodies(target)[0]).toMatchObject({ type: 'webhook.test', data: { endpointId: endpoint.id } });
    expect(other.requests).toHaveLength(0);
  });
});
