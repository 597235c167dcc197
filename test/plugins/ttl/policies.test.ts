import { afterEach, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { ADMIN, send, startTtlHub } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

const H = 3_600;
const D = 86_400;

/** Lifetime in seconds the hub gave a message of `type` (null: permanent). */
async function lifetime(type: string, extra: Record<string, unknown> = {}): Promise<number | null> {
  const m = await send(t, { type, ...extra });
  return m.expiresAt === null ? null : (Date.parse(m.expiresAt) - Date.UTC(2026, 0, 1)) / 1000;
}

describe('ttl: policies', () => {
  test('type patterns map to presets and custom durations; the most specific rule wins; MEDIUM is the default', async () => {
    ({ t } = await startTtlHub({
      policies: { REPORT: '30d', KEEP: 'PERMANENT' },
      rules: [
        { type: 'error.*', policy: 'SHORT' },
        { type: 'audit.*', policy: 'PERMANENT' },
        { type: 'error.billing.*', policy: 'LONG' },
        { type: 'error.billing.refund', policy: 'REPORT' },
        { type: '*.metrics', policy: '15m' },
        { type: 'e*', policy: 90 },
        { type: 'legal.hold', policy: 'KEEP' },
      ],
    }));
    expect(await lifetime('error.db')).toBe(H);
    expect(await lifetime('error.billing.charge')).toBe(7 * D);
    expect(await lifetime('error.billing.refund')).toBe(30 * D);
    expect(await lifetime('audit.login')).toBeNull();
    expect(await lifetime('legal.hold')).toBeNull();
    expect(await lifetime('app.metrics')).toBe(900);
    // `error.*` has more literal characters than `e*`.
    expect(await lifetime('error.x')).toBe(H);
    expect(await lifetime('event')).toBe(90);
    expect(await lifetime('chat.message')).toBe(D);

    const res = await (await t.request('/ttl/policies?type=error.billing.charge')).json();
    expect(res.rules.map((r: { type: string }) => r.type)).toEqual([
      'error.billing.refund',
      'legal.hold',
      'error.billing.*',
      '*.metrics',
      'error.*',
      'audit.*',
      'e*',
    ]);
    expect(res.resolved).toEqual({
      type: 'error.billing.charge',
      rule: 'error.billing.*',
      policy: expect.objectContaining({ name: 'LONG', seconds: 7 * D }),
    });
    expect(res.defaultPolicy.name).toBe('MEDIUM');
    expect(res.policies.map((p: { name: string }) => p.name)).toEqual([
      'IMMEDIATE',
      'SHORT',
      'MEDIUM',
      'LONG',
      'PERMANENT',
      'REPORT',
      'KEEP',
    ]);
  });

  test('the default policy is configurable', async () => {
    ({ t } = await startTtlHub({ defaultPolicy: '2h' }));
    expect(await lifetime('anything')).toBe(2 * H);
  });

  test("a client's ttl wins over the type's policy and is capped at maxTtlSeconds", async () => {
    ({ t } = await startTtlHub({ maxTtlSeconds: 600, rules: [{ type: 'audit.*', policy: 'PERMANENT' }] }));
    expect(await lifetime('chat', { ttl: 30 })).toBe(30);
    expect(await lifetime('audit.login', { ttl: 30 })).toBe(30);
    expect(await lifetime('chat', { ttl: 100_000 })).toBe(600);
  });

  test('with overMaxTtl: reject, a ttl over the maximum is a 422 naming the limit', async () => {
    ({ t } = await startTtlHub({ maxTtlSeconds: 600, overMaxTtl: 'reject' }));
    const res = await t.request('/messages', {
      method: 'POST',
      json: { channel: 'c', type: 'chat', payload: 1, ttl: 601 },
    });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('RELAYKIT_ERR_TTL_TOO_LONG');
    expect(body.error.message).toContain('plugins.ttl.maxTtlSeconds');
    expect(body.error.details).toEqual({ maxTtlSeconds: 600 });
    expect(await lifetime('chat', { ttl: 600 })).toBe(600);
  });

  test('a policy reference that does not exist fails the config apply and names the field', async () => {
    ({ t } = await startTtlHub({ rules: [{ type: 'error.*', policy: 'SHORT' }] }));
    const res = await t.request('/admin/plugins/ttl', {
      method: 'PATCH',
      token: ADMIN,
      json: {
        options: {
          rules: [
            { type: 'error.*', policy: 'SHORT' },
            { type: 'x', policy: 'SOMETIMES' },
          ],
        },
      },
    });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.message).toContain('plugins.ttl.rules[1].policy');
    expect(error.message).toContain('SOMETIMES');
    // The previous policies keep serving.
    expect(await lifetime('error.x')).toBe(H);

    const preset = await t.request('/admin/plugins/ttl', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { policies: { SHORT: '2h' } } },
    });
    expect(preset.status).toBe(422);
    expect((await preset.json()).error.message).toContain('plugins.ttl.policies.SHORT');
  });
});
