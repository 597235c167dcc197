/**
 * Metric label values that come from users stay bounded (the audit finding 10):
 * message types and HTTP methods cannot grow the registry without limit.
 */
import { afterEach, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let h: TestHub | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

async function seriesOf(hub: TestHub, metric: string): Promise<string[]> {
  const metrics = await hub.hub.registry.getSingleMetric(metric)?.get();
  return (metrics?.values ?? []).map((v) => JSON.stringify(v.labels));
}

test('message types beyond the first hundred distinct ones count as "other"', async () => {
  h = await startTestHub();
  for (let i = 0; i < 130; i++) {
    const res = await h.request('/messages', { method: 'POST', json: { channel: 'c', type: `t${i}.x`, payload: i } });
    expect(res.status).toBe(201);
  }
  const series = await seriesOf(h, 'relaykit_messages_published_total');
  expect(series).toHaveLength(101);
  expect(series).toContain(JSON.stringify({ type: 'other' }));
  expect(series).toContain(JSON.stringify({ type: 't0' }));
});

test('unknown HTTP methods are one "OTHER" series', async () => {
  h = await startTestHub();
  for (const method of ['FOO', 'BAR', 'BAZ', 'PROPFIND']) await h.request('/messages', { method });
  const series = await seriesOf(h, 'relaykit_http_request_duration_seconds');
  const methods = new Set(series.map((s) => (JSON.parse(s) as { method: string }).method));
  expect([...methods].filter((m) => !['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(m))).toEqual(
    ['OTHER'],
  );
});
