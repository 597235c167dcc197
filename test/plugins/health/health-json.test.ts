import { afterEach, expect, test } from 'bun:test';
import type { HealthDocument } from '../../../plugins/health/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { checkControl, nextRun, probePlugin, withPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

test('GET /health/status follows the health+json draft and includes every check plugins contribute', async () => {
  const clock = new ManualClock();
  const control = checkControl();
  // This test is about the document's shape: a busy CI machine must not turn it into a warn.
  const calm = { cpu: { warnPercent: 0 }, eventLoop: { warnMs: 60_000, failMs: 0 } };
  t = await startTestHub({
    plugins: withPlugins(probePlugin(control)),
    clock,
    overrides: { plugins: { health: calm } },
  });
  await nextRun(t, clock);
  const res = await t.request('/health/status');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/health+json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const doc = (await res.json()) as HealthDocument;
  expect(doc).toMatchObject({ status: 'pass', releaseId: '0.1.0', version: '0' });
  const checks = doc.checks ?? {};
  // Its own checks, the kernel's, and every running plugin's (built-ins included).
  const contributed = t.hub.view.healthChecks().map((c) => c.name);
  expect(Object.keys(checks).sort()).toEqual(
    [
      ...new Set([
        ...contributed,
        'cpu:utilization',
        'disk:free',
        'eventLoop:delay',
        'memory:rss',
        'plugins:state',
        'uptime',
      ]),
    ].sort(),
  );
  expect(Object.keys(checks)).toEqual(expect.arrayContaining(['database:responseTime', 'probe:backlog', 'probe:lag']));
  for (const [key, entries] of Object.entries(checks)) {
    expect(key).toMatch(/^[A-Za-z]+(:[A-Za-z]+)?$/);
    for (const entry of entries) {
      expect(['pass', 'warn', 'fail']).toContain(entry.status);
      expect(typeof entry.componentType).toBe('string');
      expect(entry.time).toMatch(ISO);
      expect(typeof entry.affectsReadiness).toBe('boolean');
      if (entry.status === 'pass') expect(entry.output).toBeUndefined();
    }
  }
  expect(checks['database:responseTime'][0]).toMatchObject({ componentType: 'datastore', observedUnit: 'ms' });
  expect(checks['memory:rss'][0]).toMatchObject({ componentType: 'system', observedUnit: 'bytes' });
  expect(checks['disk:free'][0].observedValue).toBeGreaterThan(0);
  expect(checks['probe:lag'][0]).toMatchObject({ observedValue: 3, observedUnit: 's', affectsReadiness: false });
  expect(checks['uptime'][0]).toMatchObject({ observedValue: 5, observedUnit: 's' });
  expect(checks['probe:backlog'][0].time).toBe(new Date(clock.now()).toISOString());

  // A warning is still 200 with status warn; a readiness check that fails is 503 fail with its output.
  control.result = { status: 'warn', observedValue: 120, observedUnit: 's', output: 'backlog is 2 minutes old' };
  await nextRun(t, clock);
  const warn = await t.request('/health/status');
  expect(warn.status).toBe(200);
  const warnDoc = (await warn.json()) as HealthDocument;
  expect(warnDoc.status).toBe('warn');
  expect(warnDoc.checks?.['probe:backlog'][0]).toMatchObject({ status: 'warn', output: 'backlog is 2 minutes old' });

  control.result = { status: 'fail' };
  await nextRun(t, clock);
  const fail = await t.request('/health/status');
  expect(fail.status).toBe(503);
  const failDoc = (await fail.json()) as HealthDocument;
  expect(failDoc.status).toBe('fail');
  expect(failDoc.output).toBe('probe:backlog: the check reported fail');
  expect((await t.request('/health/ready')).status).toBe(503);
  expect((await t.request('/health/live')).status).toBe(200);
});

test('with detailsRequireAdmin the status needs the admin token while the probes never do', async () => {
  t = await startTestHub({
    overrides: { auth: { adminToken: 'health-admin-token' }, plugins: { health: { detailsRequireAdmin: true } } },
  });
  expect((await t.request('/health/status')).status).toBe(401);
  expect((await t.request('/health/status', { token: 'wrong-token' })).status).toBe(401);
  const res = await t.request('/health/status', { token: 'health-admin-token' });
  expect([200, 503]).toContain(res.status);
  expect(res.headers.get('content-type')).toBe('application/health+json');
  expect((await t.request('/health/live')).status).toBe(200);
  expect((await t.request('/health/startup')).status).toBe(200);
});
