import { afterEach, describe, expect, test } from 'bun:test';
import { type Receiver, received, settle, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const errorOf = async (res: Response) => ({ status: res.status, ...(await res.json()).error });

describe('endpoints API', () => {
  test('create, list, get, patch and delete an endpoint', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const created = await hub.endpoint({
      url: receiver.url,
      description: 'orders service',
      events: ['message.*'],
      channels: ['orders'],
      headers: { authorization: 'Bearer receiver-token' },
      retrySchedule: [1, 2, 3],
      timeoutMs: 5000,
    });
    // (Checked apart: Bun 1.4's toMatchObject writes asymmetric matchers into the object it checks.)
    expect(created.id).toMatch(/^ep_/);
    expect(created).toMatchObject({
      url: receiver.url,
      format: 'standard',
      enabled: true,
      disabledReason: null,
      channels: ['orders'],
      retrySchedule: [1, 2, 3],
      timeoutMs: 5000,
      consecutiveFailures: 0,
    });

    const list = await (await hub.admin('/webhooks/endpoints')).json();
    expect(list.endpoints.map((e: { id: string }) => e.id)).toEqual([created.id]);

    const patched = await hub.admin(`/webhooks/endpoints/${created.id}`, {
      method: 'PATCH',
      json: { description: 'orders v2', channels: null, retrySchedule: null },
    });
    expect(await patched.json()).toMatchObject({
      description: 'orders v2',
      channels: null,
      retrySchedule: null,
      format: 'standard',
      events: ['message.*'],
    });

    // Extra headers reach the receiver.
    await hub.send({ channel: 'anything' });
    await received(receiver, 1);
    expect(receiver.requests[0].headers.get('authorization')).toBe('Bearer receiver-token');
    expect(receiver.requests[0].headers.get('user-agent')).toBe('Relaykit-Webhooks/1');

    expect((await hub.admin(`/webhooks/endpoints/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await hub.admin(`/webhooks/endpoints/${created.id}`)).status).toBe(404);
    await hub.send({ channel: 'anything' });
    await settle();
    expect(receiver.requests).toHaveLength(1);
  });

  test('disabling by PATCH moves pending deliveries to failed with an event', async () => {
    receiver = startReceiver(() => new Response(null, { status: 500 }));
    hub = await startWebhookHub();
    const disabled: string[] = [];
    hub.hub.bus.on('webhook.endpoint.disabled', (e) => {
      disabled.push(e.reason);
    });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.sent'] });
    await hub.send({ to: 'a' });
    await received(receiver, 1);
    await settle();
    const res = await hub.admin(`/webhooks/endpoints/${endpoint.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(await res.json()).toMatchObject({ enabled: false, disabledReason: 'manual' });
    expect(disabled).toEqual(['manual']);
    expect((await hub.deliveries())[0]).toMatchObject({ status: 'failed', failureReason: 'endpoint_disabled' });
    const test = await hub.admin(`/webhooks/endpoints/${endpoint.id}/test`, { method: 'POST' });
    expect(await errorOf(test)).toMatchObject({ status: 409, code: 'RELAYKIT_ERR_WEBHOOK_ENDPOINT_DISABLED' });
  });

  test('refuses bad input with codes that name the problem', async () => {
    hub = await startWebhookHub();
    const post = (json: unknown) => hub.admin('/webhooks/endpoints', { method: 'POST', json });
    const url = 'http://127.0.0.1:9/';

    expect(await errorOf(await post({ url, events: [] }))).toMatchObject({
      status: 422,
      code: 'RELAYKIT_ERR_VALIDATION',
    });
    expect(await errorOf(await post({ url, events: ['bad name!'] }))).toMatchObject({ status: 422 });
    expect(await errorOf(await post({ url, events: ['*'], format: 'teams' }))).toMatchObject({ status: 422 });
    expect(await errorOf(await post({ url, events: ['*'], color: 'red' }))).toMatchObject({ status: 422 });
    expect(await errorOf(await post({ url, events: ['*'], headers: { 'Webhook-Signature': 'x' } }))).toMatchObject({
      status: 422,
      code: 'RELAYKIT_ERR_WEBHOOK_HEADER_RESERVED',
    });
    expect(await errorOf(await post({ url, events: ['*'], headers: { 'x-a': 'line\r\nbreak' } }))).toMatchObject({
      status: 422,
    });
    expect(await errorOf(await post({ url, events: ['*'], secret: 'whsec_dG9vIHNob3J0' }))).toMatchObject({
      status: 422,
      code: 'RELAYKIT_ERR_WEBHOOK_SECRET_INVALID',
    });
    expect(await errorOf(await post({ url: 'not a url', events: ['*'] }))).toMatchObject({
      status: 422,
      code: 'RELAYKIT_ERR_WEBHOOK_URL_REFUSED',
    });
    expect(await errorOf(await hub.admin('/webhooks/endpoints/ep_missing'))).toMatchObject({
      status: 404,
      code: 'RELAYKIT_ERR_WEBHOOK_ENDPOINT_NOT_FOUND',
    });
    expect(await errorOf(await hub.admin('/webhooks/deliveries/99/retry', { method: 'POST' }))).toMatchObject({
      status: 404,
      code: 'RELAYKIT_ERR_WEBHOOK_DELIVERY_NOT_FOUND',
    });
  });

  test('a given secret is used as is; every route needs the admin token', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const created = await hub.endpoint({ url: receiver.url, events: ['*'], secret });
    expect(created.secret).toBe(secret);
    const rotated = await (
      await hub.admin(`/webhooks/endpoints/${created.id}/rotate-secret`, { method: 'POST', json: { graceSeconds: 0 } })
    ).json();
    expect(rotated).toEqual({ secret: expect.stringMatching(/^whsec_/), previousSecretExpiresAt: null });

    for (const [method, path, json] of [
      ['GET', '/webhooks/endpoints'],
      ['POST', '/webhooks/endpoints', { url: receiver.url, events: ['*'] }],
      ['GET', `/webhooks/endpoints/${created.id}`],
      ['DELETE', `/webhooks/endpoints/${created.id}`],
      ['POST', `/webhooks/endpoints/${created.id}/rotate-secret`, {}],
      ['GET', '/webhooks/deliveries'],
      ['POST', '/webhooks/deliveries/1/retry'],
    ] as const) {
      const res = await hub.request(path, { method, token: 'wrong-token', json });
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });
});
