import { afterEach, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { ADMIN, advanceAndSweep, send, startTtlHub, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

function extend(id: number, json: unknown, token?: string) {
  return t.request(`/messages/${id}/extend`, { method: 'POST', json, ...(token ? { token } : {}) });
}

const HOUR = 3_600_000;

describe('ttl: POST /messages/{id}/extend', () => {
  test('seconds are added to the current expiry, and the sweep then spares the message', async () => {
    const started = await startTtlHub();
    t = started.t;
    const { clock } = started;
    const m = await send(t, { type: 'note', ttl: 1 });
    const res = await extend(m.id, { seconds: 10 });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Date.parse(body.expiresAt) - Date.parse(m.expiresAt as string)).toBe(10_000);

    await advanceAndSweep(t, clock, 1000);
    expect(storedIds(t)).toEqual([m.id]);
    expect((await t.request(`/messages/${m.id}`)).status).toBe(200);
    await advanceAndSweep(t, clock, 10_000);
    expect(storedIds(t)).toEqual([]);
  });

  test('a policy counts from now and never shortens the current expiry', async () => {
    const started = await startTtlHub({ policies: { BRIEF: '2m' } });
    t = started.t;
    const { clock } = started;
    const m = await send(t, { type: 'note', ttl: 600 });
    clock.advance(60_000);
    const longer = await (await extend(m.id, { policy: 'SHORT' })).json();
    expect(Date.parse(longer.expiresAt)).toBe(clock.now() + HOUR);
    const unchanged = await (await extend(m.id, { policy: 'BRIEF' })).json();
    expect(unchanged.expiresAt).toBe(longer.expiresAt);
    const custom = await (await extend(m.id, { policy: '3h' })).json();
    expect(Date.parse(custom.expiresAt)).toBe(clock.now() + 3 * HOUR);
  });

  test('without the admin token an extension is capped at maxTtlSeconds from now; with it, PERMANENT is allowed', async () => {
    const started = await startTtlHub({ maxTtlSeconds: 7200 });
    t = started.t;
    const { clock } = started;
    const m = await send(t, { type: 'note', ttl: 60 });
    const capped = await (await extend(m.id, { policy: 'PERMANENT' })).json();
    expect(Date.parse(capped.expiresAt)).toBe(clock.now() + 2 * HOUR);
    const pinned = await (await extend(m.id, { policy: 'PERMANENT' }, ADMIN)).json();
    expect(pinned.expiresAt).toBeNull();
    // A permanent message stays permanent.
    expect((await (await extend(m.id, { seconds: 5 })).json()).expiresAt).toBeNull();
  });

  test('with overMaxTtl: reject, a too long extension is a 422 and the expiry stays', async () => {
    const started = await startTtlHub({ maxTtlSeconds: 120, overMaxTtl: 'reject' });
    t = started.t;
    const m = await send(t, { type: 'note', ttl: 60 });
    const res = await extend(m.id, { seconds: 3600 });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('RELAYKIT_ERR_TTL_TOO_LONG');
    expect((await (await t.request(`/messages/${m.id}`)).json()).expiresAt).toBe(m.expiresAt);
  });

  test('bad requests: expired or unknown ids are 404, unknown policies and ambiguous bodies 422', async () => {
    const started = await startTtlHub({ sweeper: { intervalMs: 60_000 } });
    t = started.t;
    const m = await send(t, { type: 'note', ttl: 1 });
    const other = await send(t, { type: 'note' });
    started.clock.advance(1000);
    expect((await extend(m.id, { seconds: 60 })).status).toBe(404);
    expect((await extend(9999, { seconds: 60 })).status).toBe(404);
    const unknown = await extend(other.id, { policy: 'FOREVER' });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.code).toBe('RELAYKIT_ERR_TTL_UNKNOWN_POLICY');
    expect((await extend(other.id, { policy: 'IMMEDIATE' })).status).toBe(422);
    expect((await extend(other.id, { seconds: 5, policy: 'LONG' })).status).toBe(422);
    expect((await extend(other.id, {})).status).toBe(422);
    expect((await extend(other.id, { seconds: 0 })).status).toBe(422);
  });
});
