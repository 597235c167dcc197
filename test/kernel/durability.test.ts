import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

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
  // SIGKILL durability runs against a hub subprocess on every runtime: test/e2e/durability.test.ts.
});
