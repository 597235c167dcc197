import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { spawnHub } from '../helpers/process.ts';

let dir: string;
let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('durability', () => {
  test('messages survive a restart and ids keep increasing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-durable-'));
    t = await startTestHub({ dir });
    for (let i = 0; i < 3; i++)
      await t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'n', payload: i } });
    await t.stop(true);
    t = await startTestHub({ dir });
    const list = await (await t.request('/messages?channel=c')).json();
    expect(list.messages.map((m: { payload: number }) => m.payload)).toEqual([0, 1, 2]);
    const next = await (
      await t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'n', payload: 3 } })
    ).json();
    expect(next.id).toBe(4);
  });

  test('every acknowledged message is in the database after SIGKILL right after the responses', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-kill-'));
    const db = join(dir, 'hub.db');
    const hub = await spawnHub({ cwd: dir, env: { RELAYKIT_STORAGE_URL: `sqlite:${db}` } });
    const acknowledged: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await fetch(`${hub.url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'agent', type: 'job', payload: { i } }),
        });
        if (res.status === 201) acknowledged.push((await res.json()).id);
      }),
    );
    hub.proc.kill('SIGKILL');
    await hub.proc.exited;
    expect(acknowledged.length).toBe(200);

    t = await startTestHub({ dir, overrides: { storage: { url: `sqlite:${db}` } } });
    const stored = new Set<number>();
    let after = 0;
    for (;;) {
      const page = await (await t.request(`/messages?client=agent&limit=1000&after=${after}`)).json();
      if (!page.messages.length) break;
      for (const m of page.messages) stored.add(m.id);
      after = page.nextCursor;
    }
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
