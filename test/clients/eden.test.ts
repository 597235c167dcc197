/**
 * Eden Treaty over the exported app type: `treaty<App>(url)` against a live hub. The
 * `@ts-expect-error` lines make `bun run check` fail if `App` ever degrades to `any`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { treaty } from '@elysiajs/eden';
import { APP_TAGS, type App } from '../../plugins/app.ts';
import { openApiDocument } from '../../src/cli/main.ts';
import { ADMIN_TOKEN, type ClientHub, startClientHub } from './fixtures.ts';

describe('Eden Treaty over the exported App type', () => {
  let t: ClientHub;
  let hub: ReturnType<typeof treaty<App>>;
  beforeAll(async () => {
    t = await startClientHub();
    // parseDate: false keeps date-time fields the strings their types say (Eden makes Dates of them by default).
    hub = treaty<App>(t.hub.url, { parseDate: false });
  });
  afterAll(() => t.hub.stop());

  test('sends, reads, lists and acknowledges messages with inferred types', async () => {
    const sent = await hub.messages.post({ channel: 'eden', type: 'eden.hello', payload: { n: 1 } });
    expect(sent.status).toBe(201);
    if (!sent.data) throw new Error(`send failed: ${JSON.stringify(sent.error)}`);
    const id: number = sent.data.id;

    const one = await hub.messages({ id }).get();
    expect(one.data?.payload).toEqual({ n: 1 });

    const page = await hub.messages.get({ query: { channel: 'eden', limit: 10 } });
    expect(page.data?.messages.map((m) => m.id)).toEqual([id]);

    const acked = await hub.messages({ id }).ack.post({ by: 'eden-client' });
    expect(acked.data?.deliveredAt).toBeString();

    // @ts-expect-error `type` is required by the send schema
    const invalid = await hub.messages.post({ channel: 'eden', payload: null });
    expect(invalid.status).toBe(422);
    expect(invalid.error?.status).toBe(422);
  });

  test('errors are typed by status with the shared error body', async () => {
    const missing = await hub.messages({ id: 999_999 }).get();
    expect(missing.error?.status).toBe(404);
    if (missing.error?.status === 404) expect(missing.error.value.error.code).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');
  });

  test('the other route groups are in the type too: admin, ws-channels, sse, metrics, health, webhooks, ttl', async () => {
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const plugins = await hub.admin.plugins.get(admin);
    expect(plugins.data?.map((p) => p.name)).toContain('sse');
    expect((await hub.ws.status.get(admin)).data?.connections).toBe(0);
    expect((await hub.stream.stats.get()).data?.streams).toBe(0);
    expect((await hub.metrics.json.get({ query: {} })).status).toBe(200);
    expect((await hub.health.ready.get()).status).toBe(200);
    expect((await hub.webhooks.endpoints.get(admin)).data?.endpoints).toEqual([]);
    expect((await hub.ttl.policies.get({ query: {} })).data?.defaultPolicy).toBeDefined();
    const sent = await hub.messages.post({ channel: 'eden', type: 'eden.ttl', payload: null, ttl: 60 });
    const extended = await hub.messages({ id: sent.data?.id ?? 0 }).extend.post({ seconds: 60 });
    expect(extended.data?.expiresAt).toBeString();
  });

  test('App covers every route group of the OpenAPI document', async () => {
    const doc = (await openApiDocument({})) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const tags = new Set(
      Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])),
    );
    expect([...tags].sort()).toEqual([...APP_TAGS].sort());
  });
});
