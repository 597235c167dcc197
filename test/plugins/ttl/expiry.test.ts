import { afterEach, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { advanceAndSweep, send, startTtlHub, stats, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ttl: expiry', () => {
  test('a message with a 1 s ttl is invisible to every read path at expiry and gone after the next sweep', async () => {
    const started = await startTtlHub({ sweeper: { intervalMs: 60_000 } });
    t = started.t;
    const { clock } = started;
    const short = await send(t, { to: 'bob', channel: 'room', type: 'note', ttl: 1 });
    const kept = await send(t, { to: 'bob', channel: 'room', type: 'note' });
    expect(Date.parse(short.expiresAt as string) - clock.now()).toBe(1000);

    const visibleIds = async () => {
      const byChannel = await (await t.request('/messages?channel=room')).json();
      const byClient = await (await t.request('/messages?client=bob')).json();
      const byType = await (await t.request('/messages?type=note')).json();
      const replayed = await t.hub.messages.replay({ after: 0, channels: ['room'], to: 'bob', limit: 100 });
      const one = await t.request(`/messages/${short.id}`);
      return {
        channel: byChannel.messages.map((m: { id: number }) => m.id),
        client: byClient.messages.map((m: { id: number }) => m.id),
        type: byType.messages.map((m: { id: number }) => m.id),
        replay: replayed.map((m) => m.id),
        get: one.status,
      };
    };

    clock.advance(999);
    expect(await visibleIds()).toEqual({
      channel: [short.id, kept.id],
      client: [short.id, kept.id],
      type: [short.id, kept.id],
      replay: [short.id, kept.id],
      get: 200,
    });

    clock.advance(1);
    expect(await visibleIds()).toEqual({
      channel: [kept.id],
      client: [kept.id],
      type: [kept.id],
      replay: [kept.id],
      get: 404,
    });
    expect((await t.request(`/messages/${short.id}/ack`, { method: 'POST' })).status).toBe(404);
    // Hidden, but not deleted yet: the sweeper has not run.
    expect(storedIds(t)).toEqual([short.id, kept.id]);
    expect((await stats(t)).pendingExpiry).toBe(1);

    const after = await advanceAndSweep(t, clock, 60_000);
    expect(storedIds(t)).toEqual([kept.id]);
    expect(after).toMatchObject({ expired: 1, pendingExpiry: 0, lagSeconds: 0 });
  });

  test('the sweep publishes message.expired and moves the retention horizon past the deleted ids', async () => {
    const started = await startTtlHub();
    t = started.t;
    const events: { ids: number[]; types: string[]; archived: boolean }[] = [];
    t.hub.bus.on('message.expired', (e) => {
      events.push(e);
    });
    const a = await send(t, { type: 'job.done', ttl: 1 });
    const b = await send(t, { type: 'job.failed', ttl: 1 });
    const c = await send(t, { type: 'job.done' });
    expect(await t.hub.messages.horizon()).toBe(0);

    await advanceAndSweep(t, started.clock, 1000);
    expect(events).toEqual([
      { ids: [a.id, b.id], types: ['job.done', 'job.failed'], archived: false, at: expect.any(String) },
    ] as never);
    expect(await t.hub.messages.horizon()).toBe(b.id);
    expect(storedIds(t)).toEqual([c.id]);
  });

  test('a sweep with nothing due deletes nothing and publishes nothing', async () => {
    const started = await startTtlHub();
    t = started.t;
    let published = 0;
    t.hub.bus.on('message.expired', () => {
      published++;
    });
    const m = await send(t, { type: 'note', ttl: 5 });
    const s = await advanceAndSweep(t, started.clock, 1000);
    expect(published).toBe(0);
    expect(s.expired).toBe(0);
    expect(storedIds(t)).toEqual([m.id]);
    expect(s.nextExpiry).toBe(m.expiresAt);
  });
});
