/**
 * The OpenAPI document's `webhooks` section stays in sync with what the hub sends:
 * every event on the bus (the kernel's, this plugin's, every running plugin's
 * `emits`) is described, and real deliveries to a loopback receiver validate against
 * the documented envelope schema of their type (ajv, strict about formats).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { TEST_EVENT_TYPE, WebhookEvents } from '../../../plugins/webhooks/index.ts';
import { CoreEvents } from '../../../src/kernel/events.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { ADMIN, LOOPBACK, startReceiver } from './helpers.ts';

type Doc = { webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: object }> } } }> };

let hub: TestHub;
let doc: Doc;
const receiver = startReceiver();
beforeAll(async () => {
  hub = await startTestHub({
    overrides: {
      auth: { adminToken: ADMIN },
      plugins: {
        webhooks: { security: { allowNetworks: LOOPBACK }, delivery: { retrySchedule: [] } },
        metrics: { snapshots: { intervalMs: 200 } },
      },
    },
  });
  doc = (await (await hub.request('/openapi/json')).json()) as Doc;
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

test('every event a hub can send is described in the webhooks section', async () => {
  const plugins = (await (await hub.request('/admin/plugins', { token: ADMIN })).json()) as Array<{
    state: string;
    emits: string[];
  }>;
  const expected = new Set([
    ...Object.values(CoreEvents),
    ...Object.values(WebhookEvents),
    TEST_EVENT_TYPE,
    ...plugins.filter((p) => p.state === 'running').flatMap((p) => p.emits),
  ]);
  expect(Object.keys(doc.webhooks).sort()).toEqual([...expected].sort());
  // Other plugins' events carry the payload schema their plugin declares (eventSchemas).
  for (const type of ['health.changed', 'metrics.snapshot']) {
    const body = doc.webhooks[type]?.post.requestBody.content['application/json'].schema as {
      properties: { data: { properties?: object; $ref?: string } };
    };
    expect(body.properties.data.properties ?? body.properties.data.$ref, type).toBeDefined();
  }
});

/** The documented body schema of `type`, resolved inside the whole document (its `$ref`s to components). */
function schemaOf(ajv: Ajv2020, type: string) {
  if (!ajv.getSchema('openapi')) ajv.addSchema(doc, 'openapi');
  const pointer = `/webhooks/${type.replace(/~/g, '~0').replace(/\//g, '~1')}/post/requestBody/content/application~1json/schema`;
  return ajv.compile({ $ref: `openapi#${pointer}` });
}

test('real deliveries of several event types validate against their documented envelope', async () => {
  const ajv = new Ajv2020({ strict: false, validateSchema: false });
  addFormats(ajv);
  const created = await hub.request('/webhooks/endpoints', {
    method: 'POST',
    token: ADMIN,
    json: { url: receiver.url, events: ['*'] },
  });
  expect(created.status).toBe(201);
  const endpoint = (await created.json()) as { id: string };

  const sent = await hub.request('/messages', {
    method: 'POST',
    json: { channel: 'docs', type: 'note', payload: { text: 'hi' } },
  });
  const { id } = (await sent.json()) as { id: number };
  await hub.request(`/messages/${id}/ack`, { method: 'POST', json: { by: 'reader' } });
  await hub.request('/admin/plugins/ttl', { method: 'PATCH', token: ADMIN, json: { enabled: false } });
  await hub.request('/admin/plugins/ttl', { method: 'PATCH', token: ADMIN, json: { enabled: true } });
  await hub.request(`/webhooks/endpoints/${endpoint.id}/test`, { method: 'POST', token: ADMIN, json: {} });

  const wanted = [
    'message.sent',
    'message.delivered',
    'plugin.disabled',
    'plugin.enabled',
    'metrics.snapshot',
    TEST_EVENT_TYPE,
  ];
  const types = () => new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type));
  await waitFor(() => wanted.every((t) => types().has(t)), 10_000, `deliveries of ${wanted.join(', ')}`);

  for (const request of receiver.requests) {
    const body = JSON.parse(request.body) as { type: string };
    const entry = doc.webhooks[body.type];
    expect(entry, `${body.type} is documented`).toBeDefined();
    const validate = schemaOf(ajv, body.type);
    expect({ type: body.type, valid: validate(body), errors: validate.errors ?? null }).toEqual({
      type: body.type,
      valid: true,
      errors: null,
    });
    expect(request.headers.get('webhook-id')).toBe((body as unknown as { id: string }).id);
  }

  // The check has teeth: a body of the wrong shape is refused by the same schema.
  const validate = schemaOf(ajv, 'message.sent');
  expect(validate({ id: 'msg_1', type: 'message.sent', timestamp: 'yesterday', data: { id: 'x' } })).toBe(false);
});
