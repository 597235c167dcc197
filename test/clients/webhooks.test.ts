import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookDelivery,
  getWebhookEndpoint,
  listWebhookAttempts,
  listWebhookDeliveries,
  listWebhookEndpoints,
  recoverWebhookDeliveries,
  retryWebhookDelivery,
  rotateWebhookSecret,
  testWebhookEndpoint,
  updateWebhookEndpoint,
} from '../../clients/typescript/generated/index.ts';
import { waitFor } from '../helpers/hub.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: webhooks', () => {
  let t: ClientHub;
  let receiver: Server<undefined>;
  const received: Array<{ id: string | null; type: string }> = [];
  beforeAll(async () => {
    receiver = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(request) {
        const body = (await request.json()) as { type: string };
        received.push({ id: request.headers.get('webhook-id'), type: body.type });
        return new Response('ok');
      },
    });
    t = await startClientHub({
      overrides: { plugins: { webhooks: { security: { allowNetworks: ['127.0.0.0/8'] } } } },
    });
  });
  afterAll(async () => {
    await t.hub.stop();
    receiver.stop(true);
  });

  test('registers, reads, changes, tests, retries, rotates and deletes an endpoint', async () => {
    const { admin } = t;
    const created = await createWebhookEndpoint({
      client: admin,
      body: { url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.sent'], description: 'client test' },
    });
    expect(created.response?.status).toBe(201);
    const endpoint = created.data!;
    expect(endpoint.secret).toStartWith('whsec_');

    expect((await listWebhookEndpoints({ client: admin })).data?.endpoints.map((e) => e.id)).toEqual([endpoint.id]);
    const changed = await updateWebhookEndpoint({
      client: admin,
      path: { id: endpoint.id },
      body: { description: 'renamed' },
    });
    expect(changed.data?.description).toBe('renamed');
    expect((await getWebhookEndpoint({ client: admin, path: { id: endpoint.id } })).data?.description).toBe('renamed');

    const queued = await testWebhookEndpoint({ client: admin, path: { id: endpoint.id } });
    expect(queued.response?.status).toBe(202);
    const deliveryId = queued.data!.id;
    await waitFor(
      async () => (await getWebhookDelivery({ client: admin, path: { id: deliveryId } })).data?.status === 'delivered',
      10_000,
      'the test event to be delivered',
    );
    expect(received.map((r) => r.type)).toEqual(['webhook.test']);
    const attempts = await listWebhookAttempts({ client: admin, path: { id: deliveryId } });
    expect(attempts.data?.attempts.map((a) => a.outcome)).toEqual(['success']);
    const deliveries = await listWebhookDeliveries({ client: admin, query: { endpoint: endpoint.id } });
    expect(deliveries.data?.deliveries.map((d) => d.id)).toEqual([deliveryId]);

    const retried = await retryWebhookDelivery({ client: admin, path: { id: deliveryId } });
    expect(retried.response?.status).toBe(202);
    await waitFor(() => received.length === 2, 10_000, 'the retried delivery');
    expect(received[1].id).toBe(received[0].id);

    const recovered = await recoverWebhookDeliveries({
      client: admin,
      path: { id: endpoint.id },
      body: { since: new Date(0).toISOString() },
    });
    expect(recovered.data?.requeued).toBe(0);

    const rotated = await rotateWebhookSecret({ client: admin, path: { id: endpoint.id }, body: {} });
    expect(rotated.data?.secret).toStartWith('whsec_');
    expect(rotated.data?.secret).not.toBe(endpoint.secret);

    const deleted = await deleteWebhookEndpoint({ client: admin, path: { id: endpoint.id } });
    expect(deleted.response?.status).toBe(204);
    const gone = await getWebhookEndpoint({ client: admin, path: { id: endpoint.id } });
    expect(gone.response?.status).toBe(404);
    expect(gone.error?.error.code).toStartWith('RELAYKIT_ERR_WEBHOOK');
  });

  test('everything needs the admin token: a typed 401 without it', async () => {
    const refused = await listWebhookEndpoints({ client: t.client });
    expect(refused.response?.status).toBe(401);
    expect(refused.error?.error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
  });
});
