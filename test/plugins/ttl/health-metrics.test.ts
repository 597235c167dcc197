import { afterEach, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { ADMIN, advanceAndSweep, send, startTtlHub, stats, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function lagCheck() {
  const check = t.hub.view.healthChecks().find((c) => c.name === 'ttl:sweeperLag');
  if (!check) throw new Error('no ttl:sweeperLag check');
  expect(check.affectsReadiness).toBe(false);
  return check.check();
}

describe('ttl: health and metrics', () => {
  test('the sweeper-lag check passes when caught up, warns and then fails as expired rows wait', async () => {
    const started = await startTtlHub({
      sweeper: { intervalMs: 3_600_000 },
      health: { lagWarnSeconds: 60, lagFailSeconds: 600 },
    });
    t = started.t;
    await send(t, { type: 'note', ttl: 1 });
    expect(await lagCheck()).toEqual({ status: 'pass', observedValue: 0, observedUnit: 's' });
    started.clock.advance(61_000);
    expect(await lagCheck()).toMatchObject({ status: 'warn', observedValue: 60 });
    started.clock.advance(540_000);
    expect(await lagCheck()).toMatchObject({ status: 'fail', observedValue: 600 });
    expect((await stats(t)).lagSeconds).toBe(600);
    const gauge = await t.hub.registry.getSingleMetric('relaykit_ttl_sweeper_lag_seconds')?.get();
    expect(gauge?.values[0].value).toBe(600);
  });

  test('a failing archive rolls the delete back: rows stay, the error is reported, the check warns', async () => {
    const started = await startTtlHub({});
    t = started.t;
    // A directory cannot be appended to.
    const res = await t.request('/admin/plugins/ttl', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { archive: { file: { path: t.dir } } } },
    });
    expect(res.status).toBe(200);
    const errors: string[] = [];
    t.hub.bus.on('error.occurred', (e) => {
      errors.push(`${e.source}:${e.code}`);
    });
    const m = await send(t, { type: 'note', ttl: 1 });
    const s = await advanceAndSweep(t, started.clock, 1000);
    expect(storedIds(t)).toEqual([m.id]);
    expect(s.expired).toBe(0);
    expect(s.sweeper.lastError).toBeString();
    expect(errors).toEqual(['ttl:RELAYKIT_ERR_TTL_SWEEP_FAILED']);
    expect((await lagCheck()).status).toBe('warn');
    expect(await t.hub.messages.horizon()).toBe(0);
    expect((await t.request(`/messages/${m.id}`)).status).toBe(404);
  });

  test("the plugin's metrics are registered while it runs and removed when it is disabled", async () => {
    const started = await startTtlHub();
    t = started.t;
    const names = () =>
      t.hub.registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .filter((n) => n.startsWith('relaykit_ttl_'));
    expect(names().sort()).toEqual([
      'relaykit_ttl_archive_pruned_total',
      'relaykit_ttl_archived_total',
      'relaykit_ttl_expired_total',
      'relaykit_ttl_sweep_batch_duration_seconds',
      'relaykit_ttl_sweep_batch_size',
      'relaykit_ttl_sweep_duration_seconds',
      'relaykit_ttl_sweep_errors_total',
      'relaykit_ttl_sweeper_lag_seconds',
    ]);
    await t.request('/admin/plugins/ttl', { method: 'PATCH', token: ADMIN, json: { enabled: false } });
    expect(names()).toEqual([]);
    expect(t.hub.view.healthChecks().map((c) => c.name)).not.toContain('ttl:sweeperLag');
  });
});
