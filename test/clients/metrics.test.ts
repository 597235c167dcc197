import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { getMetrics, getMetricsHistory, scrapeMetrics } from '../../clients/typescript/generated/index.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: metrics', () => {
  let t: ClientHub;
  beforeAll(async () => {
    t = await startClientHub();
  });
  afterAll(() => t.hub.stop());

  test('scrapes the Prometheus text, reads current values and the snapshot history', async () => {
    const { client } = t;
    const text = await scrapeMetrics({ client });
    expect(text.response?.headers.get('content-type')).toStartWith('text/plain');
    expect(text.data).toContain('relaykit_http_request_duration_seconds');

    const current = await getMetrics({ client, query: { name: 'relaykit_http_*' } });
    expect(current.response?.status).toBe(200);
    expect(current.data?.metrics.length).toBeGreaterThan(0);
    expect(current.data?.metrics.every((m) => m.name.startsWith('relaykit_http_'))).toBe(true);

    const history = await getMetricsHistory({ client, query: { limit: 5 } });
    expect(history.response?.status).toBe(200);
    expect(history.data?.capacity).toBeGreaterThan(0);
    expect(Array.isArray(history.data?.snapshots)).toBe(true);
  });
});
