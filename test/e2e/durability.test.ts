import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../helpers/process.ts';
import { type E2EHub, forEachRuntime, RUNTIMES, send, startHub } from './harness.ts';

let dir: string;
const hubs: E2EHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function start(runtime: Runtime): Promise<E2EHub> {
  const hub = await startHub(runtime, { dir });
  hubs.push(hub);
  return hub;
}

/** How long a hub may take to exit after SIGTERM (its own shutdown timeout is 10 s). */
const STOP_DEADLINE_MS = 20_000;

/**
 * Each case starts two hubs (up to 30 s each in spawnHub) and stops one: the budget
 * covers those steps' own deadlines, so a slow step fails with its message and the
 * hub's output, not as a bare test timeout.
 */
const RESTART_TIMEOUT_MS = 2 * 30_000 + STOP_DEADLINE_MS;

/** Stops `hub` with SIGTERM; fails with its output unless it exits cleanly (0) in time. */
async function stopCleanly(hub: E2EHub): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS);
  });
  const code = await Promise.race([hub.stop(), late]);
  clearTimeout(timer);
  if (code === 0) return;
  if (code === 'late') hub.process.proc.kill('SIGKILL');
  const what = code === 'late' ? `did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM` : `exited with ${code}`;
  throw new Error(`the hub ${what}:\n${await hub.process.output()}`);
}

/** Every stored message id addressed to `client`, paging through the cursor. */
async function storedIds(hub: E2EHub, client: string): Promise<Set<number>> {
  const ids = new Set<number>();
  let after = 0;
  for (;;) {
    const page = await (await hub.request(`/messages?client=${client}&limit=1000&after=${after}`)).json();
    if (!page.messages.length) return ids;
    for (const m of page.messages) ids.add(m.id);
    after = page.nextCursor;
  }
}

forEachRuntime('durability', (runtime) => {
  test(
    'messages and acknowledgements survive a restart and ids keep increasing',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-e2e-restart-'));
      const first = await start(runtime);
      for (let i = 0; i < 3; i++) await send(first, { channel: 'kept', type: 'n', payload: i });
      const ack = await first.request('/messages/2/ack', { method: 'POST', json: { by: 'x' } });
      expect(ack.status).toBe(200);
      await stopCleanly(first);

      const second = await start(runtime);
      const list = await (await second.request('/messages?channel=kept')).json();
      expect(list.messages.map((m: { payload: number }) => m.payload)).toEqual([0, 1, 2]);
      expect(list.messages[1].deliveredAt).not.toBeNull();
      expect((await send(second, { channel: 'kept', type: 'n', payload: 3 })).id).toBe(4);
    },
    RESTART_TIMEOUT_MS,
  );

  test('every acknowledged message is stored after SIGKILL right after the responses', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-e2e-kill-'));
    const hub = await start(runtime);
    const acknowledged = await Promise.all(
      Array.from({ length: 200 }, (_, i) => send(hub, { to: 'agent', type: 'job', payload: { i } }).then((m) => m.id)),
    );
    await hub.stop('SIGKILL');

    const after = await start(runtime);
    const stored = await storedIds(after, 'agent');
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(200);
  });
});

// Registered only when both runtimes are here: the same database file moves between them.
if (RUNTIMES.length > 1) {
  describe('one database, both runtimes', () => {
    test('a database written on each runtime is read and extended on the other', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-e2e-cross-'));
      const order = [...RUNTIMES, ...RUNTIMES];
      const written: number[] = [];
      for (const [i, runtime] of order.entries()) {
        const hub = await start(runtime);
        const stored = await storedIds(hub, 'shared');
        expect([...stored]).toEqual(written);
        written.push((await send(hub, { to: 'shared', type: runtime.name, payload: { i } })).id);
        await stopCleanly(hub);
      }
      expect(written).toEqual([1, 2, 3, 4]);
    });
  });
}
