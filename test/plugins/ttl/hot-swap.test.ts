import { afterEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { setImmediate } from 'node:timers';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { ADMIN, advanceAndSweep, send, startTtlHub, stats, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

function patchTtl(body: Record<string, unknown>) {
  return t.request('/admin/plugins/ttl', { method: 'PATCH', token: ADMIN, json: body });
}

describe('ttl: hot swap', () => {
  test('new policies apply to new messages at once; stored expiries stay; one sweeper runs after many swaps', async () => {
    const started = await startTtlHub({ rules: [{ type: 'error.*', policy: 'SHORT' }] }, { alone: true });
    t = started.t;
    const { clock } = started;
    const before = await send(t, { type: 'error.db' });
    const timers = clock.pending;

    for (const policy of ['LONG', '5m', 'PERMANENT', '10m']) {
      const res = await patchTtl({ options: { rules: [{ type: 'error.*', policy }] } });
      expect(res.status).toBe(200);
    }
    const after = await send(t, { type: 'error.db' });
    expect(Date.parse(after.expiresAt as string) - clock.now()).toBe(600_000);
    expect((await (await t.request(`/messages/${before.id}`)).json()).expiresAt).toBe(before.expiresAt);
    expect(clock.pending).toBe(timers);

    const s = await advanceAndSweep(t, clock, 600_000);
    expect(s.expired).toBe(1);
    // 600 timer ticks during one sweep coalesce into at most one more sweep.
    expect(s.sweeper.sweeps).toBeLessThanOrEqual(2);
    expect(storedIds(t)).toEqual([before.id]);
  });

  test('editing the config file and reloading swaps the policies', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      clock,
      overrides: { auth: { adminToken: ADMIN } },
      configYaml: 'plugins:\n  ttl:\n    rules:\n      - { type: "job.*", policy: SHORT }\n',
    });
    expect(Date.parse((await send(t, { type: 'job.run' })).expiresAt as string) - clock.now()).toBe(3_600_000);
    writeFileSync(t.configPath, 'plugins:\n  ttl:\n    rules:\n      - { type: "job.*", policy: PERMANENT }\n');
    const res = await t.request('/admin/reload', { method: 'POST', token: ADMIN });
    expect(res.status).toBe(200);
    expect((await send(t, { type: 'job.run' })).expiresAt).toBeNull();
    expect((await (await t.request('/ttl/policies')).json()).rules[0].policy.name).toBe('PERMANENT');
  });

  test('disabling the plugin mid-sweep stops at a batch boundary; re-enabling finishes the job', async () => {
    const started = await startTtlHub({ sweeper: { batchSize: 10 } }, { alone: true });
    t = started.t;
    const { clock } = started;
    await Promise.all(
      Array.from({ length: 3_000 }, (_, i) =>
        t.hub.messages.send({ channel: 'bulk', type: 'bulk', payload: i, ttl: 1 }),
      ),
    );
    let deleted = 0;
    t.hub.bus.on('message.expired', (e) => {
      deleted += e.ids.length;
    });
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    expect((await patchTtl({ enabled: false })).status).toBe(200);
    const stoppedAt = deleted;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(3_000);
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(deleted).toBe(stoppedAt);
    // Expired rows stay hidden while no sweeper runs.
    expect((await (await t.request('/messages?channel=bulk')).json()).messages).toEqual([]);

    expect((await patchTtl({ enabled: true })).status).toBe(200);
    clock.advance(1000);
    await waitFor(() => deleted === 3_000, 10_000, 'the re-enabled sweeper');
    expect(storedIds(t)).toEqual([]);
    expect((await stats(t)).pendingExpiry).toBe(0);
  });
});
