import { afterEach, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { definePlugin, type PluginDefinition } from '../../../src/kernel/plugin.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ADMIN_TOKEN, checkControl, nextRun, probePlugin, withPlugins } from './fixtures.ts';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function status(hub: TestHub) {
  const res = await hub.request('/health/status');
  return { code: res.status, doc: await res.json() };
}

describe('thresholds and plugin states', () => {
  test('memory and disk thresholds from config warn or fail, and only readiness checks make the hub not ready', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      clock,
      overrides: {
        auth: { adminToken: ADMIN_TOKEN },
        plugins: { health: { memory: { warnRssBytes: 1 }, disk: { warnFreeBytes: 1 } } },
      },
    });
    await nextRun(t, clock);
    let { code, doc } = await status(t);
    expect(code).toBe(200);
    expect(doc.status).toBe('warn');
    expect(doc.checks['memory:rss'][0]).toMatchObject({ status: 'warn' });
    expect(doc.checks['memory:rss'][0].output).toMatch(/^RSS \d+ MiB is above 0 MiB$/);
    expect(doc.checks['disk:free'][0].status).toBe('pass');

    // More free space required than any disk has: disk:free fails and it affects readiness.
    const res = await t.request('/admin/plugins/health', {
      method: 'PATCH',
      token: ADMIN_TOKEN,
      json: { options: { disk: { failFreeBytes: Number.MAX_SAFE_INTEGER } } },
    });
    expect(res.status).toBe(200);
    await nextRun(t, clock);
    ({ code, doc } = await status(t));
    expect(code).toBe(503);
    expect(doc.checks['disk:free'][0]).toMatchObject({ status: 'fail', affectsReadiness: true });
    expect((await t.request('/health/ready')).status).toBe(503);
  });

  test('readiness fails while a required plugin is not running and publishes health.changed', async () => {
    const clock = new ManualClock();
    const control = checkControl();
    t = await startTestHub({
      plugins: withPlugins(probePlugin(control)),
      clock,
      overrides: {
        auth: { adminToken: ADMIN_TOKEN },
        // Only plugin states may move the verdict here: a loaded machine must not turn CPU or event-loop checks to warn.
        plugins: {
          health: { requiredPlugins: ['probe'], cpu: { warnPercent: 0 }, eventLoop: { warnMs: 0, failMs: 0 } },
        },
      },
    });
    await nextRun(t, clock);
    const changes: Array<{ status: string; previous: string; failing: string[] }> = [];
    t.hub.bus.on('health.changed', (e) => {
      changes.push({ status: e.status, previous: e.previous, failing: e.failing });
    });
    expect((await t.request('/health/ready')).status).toBe(200);

    await t.request('/admin/plugins/probe', { method: 'PATCH', token: ADMIN_TOKEN, json: { enabled: false } });
    await nextRun(t, clock);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(503);
    expect((await ready.json()).output).toBe('plugins:state: probe is not enabled');
    expect(changes).toEqual([{ status: 'fail', previous: 'pass', failing: ['plugins:state'] }]);

    await t.request('/admin/plugins/probe', { method: 'PATCH', token: ADMIN_TOKEN, json: { enabled: true } });
    await nextRun(t, clock);
    expect((await t.request('/health/ready')).status).toBe(200);
    expect(changes.at(-1)).toEqual({ status: 'pass', previous: 'fail', failing: [] });
  });

  test('a plugin that could not be restored after a failed reconfigure fails readiness', async () => {
    const clock = new ManualClock();
    const broken = { value: false };
    const flaky = definePlugin({
      name: 'flaky',
      options: Type.Object({ n: Type.Integer({ default: 0, description: 'anything' }) }, { default: {} }),
      setup: () => ({
        start() {
          if (broken.value) throw new Error('cannot reach its queue');
        },
      }),
    }) as unknown as PluginDefinition;
    t = await startTestHub({ plugins: withPlugins(flaky), clock, overrides: { auth: { adminToken: ADMIN_TOKEN } } });
    await nextRun(t, clock);
    expect((await t.request('/health/ready')).status).toBe(200);

    broken.value = true;
    const res = await t.request('/admin/plugins/flaky', {
      method: 'PATCH',
      token: ADMIN_TOKEN,
      json: { options: { n: 1 } },
    });
    expect(res.status).toBe(422);
    await nextRun(t, clock);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(503);
    expect((await ready.json()).output).toBe('plugins:state: plugin "flaky" failed to start: cannot reach its queue');
  });
});
