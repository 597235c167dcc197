/**
 * Storage faults are visible (the audit finding 8): a SQLite file deleted or replaced
 * under the hub, a full disk and a lock held by another process each answer a clear
 * error and show in readiness, instead of writes acknowledged and lost or a frozen hub.
 */
import { Database } from 'bun:sqlite';
import { afterEach, expect, test } from 'bun:test';
import { closeSync, copyFileSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import { builtinPlugins } from '../../plugins/index.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import { definePlugin } from '../../src/kernel/plugin.ts';
import type { SqliteStorage } from '../../src/storage/sqlite.ts';
import { startTestHub, type TestHub, waitFor } from '../helpers/hub.ts';

let running: TestHub | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** A plugin that hands the test the hub's store (to fill its disk from inside). */
let captured: PluginStorage | null = null;
const storeProbe = definePlugin({
  name: 'store-probe',
  options: Type.Object({}, { default: {} }),
  setup(ctx) {
    captured = ctx.storage;
    return {};
  },
});

async function start(overrides: Record<string, unknown> = {}): Promise<TestHub> {
  running = await startTestHub({
    plugins: [...builtinPlugins, storeProbe],
    overrides: {
      plugins: { health: { intervalMs: 100 }, 'store-probe': { enabled: true } },
      ...overrides,
    },
  });
  return running;
}

const post = (h: TestHub, payload: unknown = 'hello') =>
  h.request('/messages', { method: 'POST', json: { channel: 'c', type: 't', payload } });

async function readyStatus(h: TestHub): Promise<number> {
  return (await h.request('/health/ready')).status;
}

test('a SQLite file deleted under the hub fails readiness and writes answer 503, never a lost 201', async () => {
  const h = await start();
  expect((await post(h)).status).toBe(201);
  await waitFor(async () => (await readyStatus(h)) === 200, 5000, 'readiness');
  rmSync(h.dbPath);
  const refused = await post(h);
  expect(refused.status).toBe(503);
  const body = (await refused.json()) as { error: { code: string } };
  expect(body.error.code).toBe('RELAYKIT_ERR_STORAGE_UNAVAILABLE');
  await waitFor(async () => (await readyStatus(h)) === 503, 5000, 'readiness to fail');
  const health = await (await h.request('/health/status')).text();
  expect(health).toContain('database:responseTime');
  expect(health).toContain('was deleted while the hub had it open');
});

test('a SQLite file replaced under the hub fails readiness and refuses writes', async () => {
  const h = await start();
  expect((await post(h)).status).toBe(201);
  copyFileSync(h.dbPath, `${h.dbPath}.copy`);
  renameSync(`${h.dbPath}.copy`, h.dbPath);
  expect((await post(h)).status).toBe(503);
  await waitFor(async () => (await readyStatus(h)) === 503, 5000, 'readiness to fail');
});

test('a full disk answers 507 RELAYKIT_ERR_STORAGE_FULL with Retry-After, stores nothing, and readiness fails', async () => {
  const h = await start();
  expect((await post(h)).status).toBe(201);
  const store = captured as unknown as SqliteStorage;
  const [{ page_count: pages }] = store.sync.all<{ page_count: number }>(sql`PRAGMA page_count`);
  store.sync.all(sql.raw(`PRAGMA max_page_count = ${pages}`));
  const full = await post(h, 'x'.repeat(200_000));
  expect(full.status).toBe(507);
  expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(((await full.json()) as { error: { code: string } }).error.code).toBe('RELAYKIT_ERR_STORAGE_FULL');
  const listed = (await (await h.request('/messages?channel=c')).json()) as { messages: unknown[] };
  expect(listed.messages).toHaveLength(1);
  await waitFor(async () => (await readyStatus(h)) === 503, 5000, 'readiness to fail');
  // Space again: the next write succeeds and readiness recovers.
  store.sync.all(sql.raw('PRAGMA max_page_count = 1073741823'));
  expect((await post(h, 'x'.repeat(200_000))).status).toBe(201);
  await waitFor(async () => (await readyStatus(h)) === 200, 5000, 'readiness to recover');
});

test('a lock held by another process keeps the hub responsive, and the write lands once it is released', async () => {
  const h = await start();
  expect((await post(h)).status).toBe(201);
  const other = new Database(h.dbPath);
  other.exec('BEGIN EXCLUSIVE');
  const pending = post(h, 'waited');
  const started = performance.now();
  // The event loop is free while the write waits: probes answer at once.
  for (let i = 0; i < 5; i++) expect((await h.request('/health/live')).status).toBe(200);
  expect(performance.now() - started).toBeLessThan(1000);
  other.exec('ROLLBACK');
  other.close();
  expect((await pending).status).toBe(201);
});

test('a lock held longer than storage.lockTimeoutMs answers 503 RELAYKIT_ERR_STORAGE_BUSY with Retry-After', async () => {
  const h = await start({ storage: { lockTimeoutMs: 200 } });
  const other = new Database(h.dbPath);
  other.exec('BEGIN EXCLUSIVE');
  try {
    const res = await post(h);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RELAYKIT_ERR_STORAGE_BUSY');
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  expect((await post(h)).status).toBe(201);
});

test('a failed periodic integrity check (storage.integrityCheckIntervalMs) fails readiness', async () => {
  const h = await start({ storage: { integrityCheckIntervalMs: 50 } });
  for (let i = 0; i < 40; i++) expect((await post(h, 'x'.repeat(100_000))).status).toBe(201);
  const store = captured as unknown as SqliteStorage;
  store.sync.all(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
  // Shrink the page cache so the check reads the file, then scribble over pages in the middle of it.
  store.sync.all(sql`PRAGMA cache_size = 1`);
  await waitFor(async () => (await readyStatus(h)) === 200, 5000, 'readiness');
  // In place (same inode): this is corruption, not a replaced file.
  const fd = openSync(h.dbPath, 'r+');
  const size = fstatSync(fd).size;
  for (let at = 8192; at < size - 8192; at += 4096) writeSync(fd, new Uint8Array(64).fill(0x5a), 0, 64, at);
  closeSync(fd);
  await waitFor(async () => (await readyStatus(h)) === 503, 5000, 'readiness to fail');
  const status = await (await h.request('/health/status')).text();
  expect(status).toContain('the integrity check failed');
  expect(status).not.toContain('replaced');
});
