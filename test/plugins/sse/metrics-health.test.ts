import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { post, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await t?.stop();
});

const ADMIN = 'admin-token-for-sse-tests';

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await t.hub.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

describe('sse metrics and health', () => {
  test('streams, subscriptions and deliveries are counted through the kernel registry', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN }, plugins: { sse: { maxStreams: 2 } } } });
    const a = watch(`${t.url}/stream/events?channels=one,two`, ['m']);
    const b = watch(`${t.url}/stream/events?channels=one&last_event_id=0`, ['m']);
    sources.push(a, b);
    await waitFor(() => a.named('relaykit.connected').length === 1 && b.named('relaykit.connected').length === 1);
    await post(t.url, [{ channel: 'one', type: 'm' }]);
    await waitForIds(a, 1);
    await waitForIds(b, 1);
    expect((await fetch(`${t.url}/stream/events`)).status).toBe(503);

    expect(await metricValue('relaykit_sse_streams')).toBe(2);
    // a: one, two, broadcast; b: one, broadcast.
    expect(await metricValue('relaykit_sse_subscriptions')).toBe(5);
    expect(await metricValue('relaykit_sse_events_delivered_total', { kind: 'live' })).toBe(2);
    expect(await metricValue('relaykit_sse_streams_opened_total', { resumed: 'true' })).toBe(1);
    expect(
      await metricValue('relaykit_sse_streams_rejected_total', { code: 'RELAYKIT_ERR_SSE_TOO_MANY_STREAMS' }),
    ).toBe(1);

    const checks = t.hub.view.healthChecks().filter((c) => c.name.startsWith('sse:'));
    expect(checks.map((c) => c.name)).toEqual(['sse:streams', 'sse:largestQueue']);
    const streams = await checks[0].check();
    // 2 of at most 2 streams: a warning, not a failure (readiness is unaffected).
    expect(streams).toMatchObject({ status: 'warn', observedValue: 2 });
    expect(checks.every((c) => !c.affectsReadiness)).toBe(true);
    expect(await checks[1].check()).toMatchObject({ status: 'pass', observedUnit: 'bytes' });

    a.close();
    b.close();
    await t.request('/admin/plugins/sse', { method: 'PATCH', token: ADMIN, json: { enabled: false } });
    expect(t.hub.registry.getSingleMetric('relaykit_sse_streams')).toBeUndefined();
  });
});
