import { afterEach, describe, expect, test } from 'bun:test';
import { type TestHub, waitFor } from '../../helpers/hub.ts';
import { advanceAndSweep, send, startTtlHub, stats, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ttl: IMMEDIATE', () => {
  test('an IMMEDIATE message is deleted once acknowledged, without waiting for the sweeper interval', async () => {
    const started = await startTtlHub({
      rules: [{ type: 'chat.typing', policy: 'IMMEDIATE' }],
      archive: { table: true },
      sweeper: { intervalMs: 3_600_000 },
    });
    t = started.t;
    const expired: number[][] = [];
    t.hub.bus.on('message.expired', (e) => {
      expired.push(e.ids);
    });
    const typing = await send(t, { to: 'bob', type: 'chat.typing' });
    const note = await send(t, { to: 'bob', type: 'chat.note' });
    // Before the acknowledgement it lives (bounded by immediateMaxAgeSeconds).
    expect(Date.parse(typing.expiresAt as string) - started.clock.now()).toBe(86_400_000);

    expect((await t.request(`/messages/${typing.id}/ack`, { method: 'POST', json: { by: 'bob' } })).status).toBe(200);
    // Hidden at once, deleted by the sweep the acknowledgement kicked.
    expect((await t.request(`/messages/${typing.id}`)).status).toBe(404);
    await waitFor(() => expired.length === 1, 5000, 'message.expired');
    expect(expired).toEqual([[typing.id]]);
    expect(storedIds(t)).toEqual([note.id]);
    expect(storedIds(t, 'ttl_archive')).toEqual([typing.id]);

    // Acknowledging a message of another policy changes nothing.
    await t.request(`/messages/${note.id}/ack`, { method: 'POST' });
    expect((await t.request(`/messages/${note.id}`)).status).toBe(200);
    expect((await stats(t)).expired).toBe(1);
  });

  test('an IMMEDIATE message nobody acknowledges expires after immediateMaxAgeSeconds', async () => {
    const started = await startTtlHub({ rules: [{ type: 'ping', policy: 'IMMEDIATE' }], immediateMaxAgeSeconds: 30 });
    t = started.t;
    const m = await send(t, { type: 'ping' });
    await advanceAndSweep(t, started.clock, 29_000);
    expect(storedIds(t)).toEqual([m.id]);
    await advanceAndSweep(t, started.clock, 1000);
    expect(storedIds(t)).toEqual([]);
  });
});
