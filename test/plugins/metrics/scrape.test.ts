import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { parseExposition, sampleValue } from './exposition.ts';
import { testPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('GET /metrics', () => {
  test('serves the hub, plugin, process and info metrics as valid Prometheus text', async () => {
    t = await startTestHub({ plugins: testPlugins });
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { families, samples } = parseExposition(await res.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('relaykit_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(byName.get('relaykit_messages_published_total')?.type).toBe('COUNTER');
    expect(byName.get('relaykit_test_probe_events_total')?.type).toBe('COUNTER');
    expect(byName.get('relaykit_test_follower_items')?.type).toBe('GAUGE');
    expect(byName.has('process_cpu_seconds_total')).toBe(true);
    expect(byName.has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Empty on Bun and slow to read: left out by default.
    expect(byName.has('nodejs_heap_space_size_total_bytes')).toBe(false);
    expect(sampleValue(samples, 'relaykit_runtime_info', { runtime: 'bun', version: Bun.version })).toBe(1);
    expect(sampleValue(samples, 'relaykit_build_info')).toBe(1);
    const runByDefault = testPlugins.filter((p) => p.enabledByDefault !== false);
    expect(sampleValue(samples, 'relaykit_plugins_running')).toBe(runByDefault.length);
  });

  test('answers OpenMetrics when Accept asks for it, with _total samples and # EOF', async () => {
    t = await startTestHub({ plugins: testPlugins });
    const res = await t.request('/metrics', {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE relaykit_test_probe_events counter\n');
    expect(text).toContain('relaykit_test_probe_events_total{kind="k0"} 1\n');
    expect(text).toContain('le="1.0"');
    // The OpenMetrics scrape must not rename the shared metric objects for the next text scrape.
    const { families } = parseExposition(await (await t.request('/metrics')).text());
    expect(families.some((f) => f.name === 'relaykit_test_probe_events_total')).toBe(true);
    // Every sample belongs to the family declared above it; counters' samples end in _total.
    let family = '';
    let type = '';
    for (const line of text.split('\n').filter((l) => l && l !== '# EOF')) {
      const declared = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (declared) [, family, type] = declared;
      if (line.startsWith('#')) continue;
      const name = line.split(/[{ ]/, 1)[0];
      if (type === 'counter') expect(name).toBe(`${family}_total`);
      else expect(name.startsWith(family)).toBe(true);
    }
  });

  test('process metrics can be turned off and the admin token required', async () => {
    t = await startTestHub({
      plugins: testPlugins,
      overrides: {
        auth: { adminToken: 'metrics-admin-token' },
        plugins: { metrics: { defaultMetrics: { enabled: false }, requireAdmin: true } },
      },
    });
    expect((await t.request('/metrics')).status).toBe(401);
    expect((await t.request('/metrics/json')).status).toBe(401);
    const res = await t.request('/metrics', { token: 'metrics-admin-token' });
    expect(res.status).toBe(200);
    const { families } = parseExposition(await res.text());
    expect(families.some((f) => f.name.startsWith('process_') || f.name.startsWith('nodejs_'))).toBe(false);
    expect(families.some((f) => f.name === 'relaykit_runtime_info')).toBe(true);
  });
});
