import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestHub } from '../../helpers/hub.ts';
import { ADMIN, advanceAndSweep, send, startTtlHub, storedIds } from './helpers.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function archived(query = '') {
  const res = await t.request(`/ttl/archive${query}`, { token: ADMIN });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ messages: Record<string, unknown>[]; nextCursor: number | null }>;
}

describe('ttl: archive', () => {
  test('the archive table holds an expired message with its payload after the sweep deletes it', async () => {
    const started = await startTtlHub({ archive: { table: true } });
    t = started.t;
    const events: boolean[] = [];
    t.hub.bus.on('message.expired', (e) => {
      events.push(e.archived);
    });
    const m = await send(t, {
      from: 'ann',
      to: 'bob',
      channel: 'room',
      type: 'order.placed',
      payload: { sku: 42 },
      ttl: 1,
    });
    await advanceAndSweep(t, started.clock, 1000);

    expect(storedIds(t)).toEqual([]);
    expect(storedIds(t, 'ttl_archive')).toEqual([m.id]);
    expect(events).toEqual([true]);
    const page = await archived();
    expect(page.messages).toEqual([
      {
        id: m.id,
        from: 'ann',
        to: 'bob',
        channel: 'room',
        type: 'order.placed',
        payload: { sku: 42 },
        createdAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-01T00:00:01.000Z',
        deliveredAt: null,
        archivedAt: '2026-01-01T00:00:01.000Z',
      },
    ]);
    expect((await t.request('/ttl/archive')).status).toBe(401);
  });

  test('GET /ttl/archive filters by type and pages with a cursor', async () => {
    const started = await startTtlHub({ archive: { table: true } });
    t = started.t;
    const ids: Record<string, number[]> = { a: [], b: [] };
    for (let i = 0; i < 5; i++) {
      for (const type of ['a', 'b']) ids[type].push((await send(t, { type, ttl: 1 })).id);
    }
    await advanceAndSweep(t, started.clock, 1000);

    const first = await archived('?type=a&limit=3');
    expect(first.messages.map((m) => m.id)).toEqual(ids.a.slice(0, 3));
    const second = await archived(`?type=a&limit=3&after=${first.nextCursor}`);
    expect(second.messages.map((m) => m.id)).toEqual(ids.a.slice(3));
    expect((await archived()).messages).toHaveLength(10);
  });

  test('the archive table is pruned after archive.retentionSeconds', async () => {
    const started = await startTtlHub({ archive: { table: true, retentionSeconds: 60 } });
    t = started.t;
    const m = await send(t, { type: 'note', ttl: 1 });
    await advanceAndSweep(t, started.clock, 1000);
    expect(storedIds(t, 'ttl_archive')).toEqual([m.id]);
    await advanceAndSweep(t, started.clock, 59_000);
    expect(storedIds(t, 'ttl_archive')).toEqual([m.id]);
    const s = await advanceAndSweep(t, started.clock, 1000);
    expect(storedIds(t, 'ttl_archive')).toEqual([]);
    expect(s.pruned).toBe(1);
  });

  test('a JSON Lines archive file gets one line per expired message and rotates by size', async () => {
    const started = await startTtlHub({ sweeper: { batchSize: 2 } });
    t = started.t;
    // The file path is relative to the working directory, so use an absolute one in the hub's folder.
    const path = join(t.dir, 'archive', 'expired.jsonl');
    const res = await t.request('/admin/plugins/ttl', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { archive: { file: { path, maxBytes: 1024, maxFiles: 2 } } } },
    });
    expect(res.status).toBe(200);
    const sent: number[] = [];
    for (let i = 0; i < 12; i++)
      sent.push((await send(t, { type: 'log.line', payload: { text: 'x'.repeat(200), i }, ttl: 1 })).id);
    await advanceAndSweep(t, started.clock, 1000);

    expect(storedIds(t)).toEqual([]);
    const files = [path, `${path}.1`, `${path}.2`, `${path}.3`];
    expect(files.map((f) => existsSync(f))).toEqual([true, true, true, false]);
    const lines = files
      .slice(0, 3)
      .reverse()
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l));
    for (const f of files.slice(0, 3)) expect(readFileSync(f).byteLength).toBeLessThanOrEqual(1024);
    // The oldest lines were rotated out; the ones kept are the newest, in order, each a whole message.
    const kept = lines.map((l) => l.id);
    expect(kept).toEqual(sent.slice(sent.length - kept.length));
    expect(kept.length).toBeGreaterThanOrEqual(6);
    expect(lines[0]).toMatchObject({
      type: 'log.line',
      payload: { text: 'x'.repeat(200) },
      expiresAt: '2026-01-01T00:00:01.000Z',
    });
  });
});
