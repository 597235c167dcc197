/**
 * WAL checkpoints run from a worker thread with its own connection, never inside a
 * commit on the hub's event loop: the hub's connection has SQLite's automatic
 * checkpoint off while the worker runs, and back on when it stops or fails.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { openNodeSqlite } from '../../src/runtime/node-sqlite.ts';
import { AUTOCHECKPOINT_PAGES, startCheckpointer } from '../../src/runtime/sqlite-checkpointer.ts';
import type { CheckpointGate, SqliteHandle } from '../../src/runtime/types.ts';
import { SqliteStorage } from '../../src/storage/sqlite.ts';
import { availableRuntimes, runToEnd } from '../helpers/process.ts';

const ROOT = resolve(import.meta.dir, '../..');
const PROBE = join(import.meta.dir, 'checkpointer-probe.ts');

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` until it holds (a checkpoint happens on the worker's own schedule). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function autocheckpoint(handle: SqliteHandle): number {
  // Drivers differ in the row shape of a raw query (array or object): take its one value.
  return Number(Object.values(handle.db.get<object>(sql`PRAGMA wal_autocheckpoint`))[0]);
}

const openers: [string, (path: string) => SqliteHandle, 'bun:sqlite' | 'node:sqlite'][] = [
  ['bun:sqlite', (path) => bunRuntime.openSqlite(path), 'bun:sqlite'],
  ['node:sqlite', openNodeSqlite, 'node:sqlite'],
];

for (const [name, open, driver] of openers) {
  describe(`WAL checkpointer (${name})`, () => {
    test('the worker copies the WAL into the database while the hub connection never checkpoints', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const path = join(dir, 'hub.db');
      const handle = open(path);
      cleanups.push(() => handle.close());
      handle.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
      // The opener's own worker starts later (500 ms); this one starts at once on the same file.
      const checkpointer = startCheckpointer({ path, exec: handle.exec }, { driver, startAfterMs: 0, busyMs: 10 });
      cleanups.push(() => checkpointer.stop());
      await until(() => autocheckpoint(handle) === 0, 'the hub connection to hand checkpoints over');

      const before = statSync(path).size;
      // About 8 MB through the WAL, far past the 1000 pages SQLite's automatic checkpoint would take.
      const body = new Uint8Array(8192).fill(7);
      for (let batch = 0; batch < 10; batch++)
        handle.db.transaction((tx) => {
          for (let i = 0; i < 100; i++) tx.run(sql`INSERT INTO t (body) VALUES (${body})`);
        });
      // In WAL mode only a checkpoint writes the database file itself.
      await until(() => statSync(path).size >= before + 8 * 1024 * 1024, 'the worker to checkpoint');
      expect(autocheckpoint(handle)).toBe(0);
      expect(Number(Object.values(handle.db.get<object>(sql`SELECT count(*) AS n FROM t`))[0])).toBe(1000);

      await checkpointer.stop();
      expect(autocheckpoint(handle)).toBe(AUTOCHECKPOINT_PAGES);
    });

    test('a quiet database is not checkpointed below minFrames, so its commits never sync a restarted WAL', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const path = join(dir, 'hub.db');
      const handle = open(path);
      cleanups.push(() => handle.close());
      handle.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      const checkpointer = startCheckpointer(
        { path, exec: handle.exec },
        { driver, startAfterMs: 0, busyMs: 5, idleMs: 5, minFrames: 1000 },
      );
      cleanups.push(() => checkpointer.stop());
      await until(() => autocheckpoint(handle) === 0, 'the hub connection to hand checkpoints over');
      const before = statSync(path).size;
      // Commits a few worker cycles apart, as on a hub that gets a message now and then.
      // (This asserts that something does not happen, so it has to give it time to.)
      for (let i = 0; i < 10; i++) {
        handle.exec(`INSERT INTO t (body) VALUES ('message ${i}')`);
        await Bun.sleep(25);
      }
      // Nothing was copied into the database file, and every commit's frames are still in one WAL.
      expect(statSync(path).size).toBe(before);
      await checkpointer.stop();
      const frames = Number(Object.values(handle.db.get<object>(sql`PRAGMA wal_checkpoint(PASSIVE)`))[1]);
      expect(frames).toBeGreaterThanOrEqual(10);
    });

    test('past restartFrames the hub connection is held idle through the gate and the WAL starts over', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const path = join(dir, 'hub.db');
      const handle = open(path);
      cleanups.push(() => handle.close());
      handle.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
      const checkpointer = startCheckpointer(
        { path, exec: handle.exec },
        { driver, startAfterMs: 0, busyMs: 10, restartFrames: 200 },
      );
      cleanups.push(() => checkpointer.stop());
      let idle = 0;
      let held = false;
      checkpointer.setGate(async (run) => {
        held = true;
        await run();
        held = false;
        idle++;
      });
      await until(() => autocheckpoint(handle) === 0, 'the hub connection to hand checkpoints over');
      const body = new Uint8Array(8192).fill(7);
      handle.db.transaction((tx) => {
        for (let i = 0; i < 200; i++) tx.run(sql`INSERT INTO t (body) VALUES (${body})`);
      });
      await until(() => idle > 0, 'a RESTART checkpoint');
      expect(held).toBe(false);
      // The next write starts the WAL over: it holds only that write's frames.
      handle.exec("INSERT INTO t (body) VALUES (x'01')");
      await checkpointer.stop();
      const frames = Number(Object.values(handle.db.get<object>(sql`PRAGMA wal_checkpoint(PASSIVE)`))[1]);
      expect(frames).toBeLessThan(10);
    });

    test('a worker that cannot open the database hands checkpoints back to the hub connection', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const handle = open(join(dir, 'hub.db'));
      cleanups.push(() => handle.close());
      handle.exec('PRAGMA wal_autocheckpoint = 0');
      const errors: unknown[][] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => errors.push(args);
      cleanups.push(() => {
        console.error = original;
      });
      const checkpointer = startCheckpointer(
        { path: join(dir, 'missing', 'folder', 'hub.db'), exec: handle.exec },
        { driver, startAfterMs: 0 },
      );
      cleanups.push(() => checkpointer.stop());
      await until(() => autocheckpoint(handle) === AUTOCHECKPOINT_PAGES, 'the hub connection to checkpoint again');
      expect(String(errors[0]?.[0])).toContain('WAL checkpointer');
    });

    test('writes in the first moments after opening, before the worker is up, never checkpoint on the hub connection', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const handle = open(join(dir, 'hub.db'));
      cleanups.push(() => handle.close());
      // No wait: the worker starts 500 ms later, but SQLite's own checkpoint is already off.
      expect(autocheckpoint(handle)).toBe(0);
    });

    test('the opener starts its own checkpointer and closing stops it', async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const handle = open(join(dir, 'hub.db'));
      await until(() => autocheckpoint(handle) === 0, "the opener's checkpointer to start");
      await handle.close();
    });
  });
}

test('the store keeps its connection idle while the checkpointer holds the gate: its queries wait, off the event loop', async () => {
  dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
  const handle = bunRuntime.openSqlite(join(dir, 'hub.db'));
  let gate: CheckpointGate | null = null;
  const storage = new SqliteStorage({ ...handle, setCheckpointGate: (g) => (gate = g) }, join(dir, 'hub.db'));
  cleanups.push(() => storage.close());
  handle.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  if (!gate) throw new Error('the store did not give the checkpointer a gate');
  let release = () => {};
  const held = (gate as CheckpointGate)(() => new Promise<void>((resolve) => (release = resolve)));
  let wrote = false;
  const write = storage.transaction(async (tx) => {
    tx.run(sql`INSERT INTO t (id) VALUES (1)`);
    wrote = true;
  });
  // The event loop keeps turning while the write waits.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(wrote).toBe(false);
  release();
  await Promise.all([held, write]);
  expect(wrote).toBe(true);
});

for (const runtime of availableRuntimes())
  for (const close of [false, true])
    test(`on ${runtime.name} the worker takes over checkpoints and the process exits ${close ? 'after closing the store' : 'with the store left open'}`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'relaykit-checkpointer-'));
      const command =
        runtime.name === 'bun' ? ['bun', PROBE] : ['deno', 'run', '-A', '--config', resolve(ROOT, 'deno.json'), PROBE];
      // A worker that held the process would run into the kill.
      const {
        code,
        stdout: out,
        stderr: err,
      } = await runToEnd([...command, join(dir, 'hub.db'), ...(close ? ['--close'] : [])], {
        env: runtime.env,
        killAfterMs: 20_000,
      });
      expect({ code, err: err.includes('checkpointer') ? err : '' }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(out)).toEqual({ autocheckpoint: 0 });
    }, 30_000);
