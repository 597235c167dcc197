import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { Webhook } from 'standardwebhooks';
import { type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-webhooks-admin';

forEachRuntime('webhooks', (runtime) => {
  let hub: E2EHub;
  let receiver: Server<undefined>;
  const received: Array<{ body: string; headers: Record<string, string> }> = [];
  beforeAll(async () => {
    receiver = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(request) {
        received.push({ body: await request.text(), headers: Object.fromEntries(request.headers.entries()) });
        return new Response(null, { status: 204 });
      },
    });
    hub = await startHub(runtime, {
      config: `watch: false\nauth:\n  adminToken: ${TOKEN}\nplugins:\n  webhooks:\n    security:\n      allowNetworks: ['127.0.0.0/8', '::1/128']\n`,
    });
  });
  afterAll(async () => {
    await hub.dispose();
    await receiver.stop(true);
  });

  test('a message reaches an endpoint named by host, pinned to the address the guard checked, and verifies', async () => {
    // `localhost` is resolved and checked by the hub, then connected to by address with Host: localhost.
    const res = await hub.request('/webhooks/endpoints', {
      method: 'POST',
      token: TOKEN,
      json: { url: `http://localhost:${receiver.port}/hook`, events: ['message.sent'] },
    });
    expect(res.status).toBe(201);
    const { secret } = await res.json();
    const message = await send(hub, { channel: 'e2e', type: 'order.placed', payload: { total: 7 } });
    await waitFor(() => received.length === 1, 10_000, 'the webhook');
    const [delivery] = received;
    expect(delivery.headers.host).toBe(`localhost:${receiver.port}`);
    const event = new Webhook(secret).verify(delivery.body, delivery.headers) as { data: { id: number } };
    expect(event.data.id).toBe(message.id);
  });

  test('an endpoint on a refused network is rejected with the rule', async () => {
    const res = await hub.request('/webhooks/endpoints', {
      method: 'POST',
      token: TOKEN,
      json: { url: 'http://169.254.169.254/latest/meta-data', events: ['*'] },
    });
    expect(res.status).toBe(422);
    expect((await res.json()).error.details.rule).toBe('metadata');
  });
});
