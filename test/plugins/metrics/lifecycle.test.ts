import { afterEach, expect, test } from 'bun:test';
import { builtinPlugins } from '../../../plugins/index.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { parseExposition, sampleValue } from './exposition.ts';
import { ADMIN_TOKEN, testPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

type Patch = { enabled?: boolean; options?: Record<string, unknown> };

test('/metrics stays valid across many enable, disable and reconfigure cycles of every plugin', async () => {
  t = await startTestHub({ plugins: testPlugins, overrides: { auth: { adminToken: ADMIN_TOKEN } } });
  // Built-ins that are off unless configured (pusher needs its apps) stay off here.
  const byDefault = builtinPlugins.filter((p) => p.enabledByDefault !== false).map((p) => p.name);
  const running = new Set([...byDefault, 'probe', 'follower']);
  // Built-ins other than metrics and health are cycled generically (disable, enable).
  const others = byDefault.filter((n) => n !== 'metrics' && n !== 'health');

  async function patch(name: string, body: Patch, expected = 200): Promise<void> {
    const res = await t.request(`/admin/plugins/${name}`, { method: 'PATCH', token: ADMIN_TOKEN, json: body });
    expect(`${name} ${JSON.stringify(body)} → ${res.status}`).toBe(`${name} ${JSON.stringify(body)} → ${expected}`);
    if (expected === 200 && body.enabled === false) running.delete(name);
    if (expected === 200 && body.enabled === true) running.add(name);
    await check();
  }

  async function check(): Promise<void> {
    const res = await t.request('/metrics');
    if (!running.has('metrics')) {
      expect(res.status).toBe(404);
      return;
    }
    expect(res.status).toBe(200);
    const { families, samples } = parseExposition(await res.text());
    const names = new Set(families.map((f) => f.name));
    expect(names.has('relaykit_test_probe_events_total')).toBe(running.has('probe'));
    expect(names.has('relaykit_test_follower_items')).toBe(running.has('follower'));
    expect(names.has('relaykit_health_check_status')).toBe(running.has('health'));
    expect(names.has('process_resident_memory_bytes')).toBe(true);
    expect(sampleValue(samples, 'relaykit_plugins_running')).toBe(running.size);
    expect(sampleValue(samples, 'relaykit_runtime_info')).toBe(1);
  }

  for (let round = 1; round <= 8; round++) {
    await patch('probe', { options: { kinds: round + 1 } }); // restarts the follower too
    await patch('follower', { options: { items: round } });
    await patch('probe', { enabled: false }, 422); // the follower depends on it: refused, nothing changes
    await patch('follower', { enabled: false });
    await patch('probe', { enabled: false });
    await patch('probe', { enabled: true });
    await patch('follower', { enabled: true });
    await patch('health', { options: { intervalMs: 1000 + round } });
    await patch('health', { enabled: false });
    await patch('health', { enabled: true });
    await patch('metrics', { options: { maxSeriesPerMetric: 100 + round } });
    await patch('metrics', { enabled: false });
    await patch('metrics', { enabled: true });
    for (const name of others) {
      await patch(name, { enabled: false });
      await patch(name, { enabled: true });
    }
  }

  const { samples } = parseExposition(await (await t.request('/metrics')).text());
  expect(samples.filter((s) => s.name === 'relaykit_test_probe_events_total')).toHaveLength(9);
  expect(sampleValue(samples, 'relaykit_test_follower_items')).toBe(8);
  expect(sampleValue(samples, 'relaykit_plugin_reloads_total', { outcome: 'applied' })).toBe(
    8 * (12 + 2 * others.length),
  );
  expect(sampleValue(samples, 'relaykit_plugin_reloads_total', { outcome: 'rejected' })).toBe(8);
}, 60_000);
