/** The operations plugins end to end on every runtime: health probes and the Prometheus scrape. */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

forEachRuntime('operations plugins', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: 'watch: false\n' });
  });
  afterAll(() => hub.dispose());

  test('the Kubernetes probes answer 200 once the hub is up, and /health/status is health+json', async () => {
    await waitFor(async () => (await hub.request('/health/ready')).status === 200, 5000, 'readiness');
    expect((await hub.request('/health/live')).status).toBe(200);
    expect((await hub.request('/health/startup')).status).toBe(200);
    const res = await hub.request('/health/status');
    expect(res.headers.get('content-type')).toBe('application/health+json');
    const doc = await res.json();
    expect(['pass', 'warn']).toContain(doc.status);
    expect(Object.keys(doc.checks)).toEqual(expect.arrayContaining(['database:responseTime', 'plugins:state']));
  });

  test('/metrics is valid Prometheus text that names the runtime and counts posted messages', async () => {
    await send(hub, { channel: 'ops', type: 'ops.check', payload: 1 });
    const text = await (await hub.request('/metrics')).text();
    const families = parsePrometheusTextFormat(text) as Array<{
      name: string;
      metrics: Array<{ labels?: Record<string, string>; value?: string }>;
    }>;
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('relaykit_runtime_info')?.metrics[0].labels?.runtime).toBe(runtime.name);
    const published = byName.get('relaykit_messages_published_total')?.metrics ?? [];
    expect(published.reduce((sum, m) => sum + Number(m.value), 0)).toBeGreaterThanOrEqual(1);
  });

  test('SIGTERM turns readiness to 503 while the hub drains', async () => {
    const draining = await startHub(runtime, { config: 'watch: false\nserver:\n  drainDelayMs: 1500\n' });
    try {
      await waitFor(async () => (await draining.request('/health/ready')).status === 200, 5000, 'readiness');
      draining.process.proc.kill('SIGTERM');
      await waitFor(async () => (await draining.request('/health/ready')).status === 503, 3000, 'readiness 503');
      expect((await draining.request('/health/live')).status).toBe(200);
    } finally {
      await draining.dispose();
    }
  });
});
