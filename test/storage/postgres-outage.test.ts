import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { runCli } from '../../src/cli/main.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { startTestHub, type TestHub, waitFor } from '../helpers/hub.ts';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../helpers/postgres.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { TestClient } from '../plugins/ws-channels/client.ts';

const db = await createTestDatabase(import.meta.path);
const withPostgres = db ? describe : describe.skip;

let t: TestHub | null = null;
let proxy: TcpProxy | null = null;
afterEach(async () => {
  await proxy?.up();
  await t?.stop();
  proxy?.close();
  t = proxy = null;
});

const fast = { plugins: { health: { intervalMs: 50, timeoutMs: 500 } } };

withPostgres('PostgreSQL going away', () => {
  test('an unreachable database at start is one line naming the host without the password, and exit 1', async () => {
    // A config file that exists (a named file must), so the only failure left is the database.
    const configDir = mkdtempSync(join(tmpdir(), 'relaykit-outage-'));
    const configFile = join(configDir, 'relaykit.config.yaml');
    writeFileSync(configFile, 'watch: false\n');
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(String(line));
    try {
      const code = await runCli(['start'], {
        RELAYKIT_STORAGE_URL: 'postgres://relaykit:s3cret-pw@127.0.0.1:1/relaykit?connect_timeout=2',
        RELAYKIT_CONFIG: configFile,
      });
      expect(code).toBe(1);
    } finally {
      console.error = original;
      rmSync(configDir, { recursive: true, force: true });
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('127.0.0.1:1');
    expect(errors[0]).not.toContain('s3cret-pw');
    expect(errors[0].split('\n')).toHaveLength(1);
  });

  test('while the database is gone, writes answer 503 and readiness fails; realtime stays open; it recovers by itself', async () => {
    const target = new URL(db!.url({ schema: 'outage' }));
    proxy = new TcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
    await proxy.up();
    target.port = String(proxy.port);
    t = await startTestHub({ overrides: { storage: { url: target.toString() }, ...fast }, logger: silentLogger });
    const post = (payload: unknown) =>
      t!.request('/messages', { method: 'POST', json: { channel: 'room', type: 'note', payload } });
    const ws = await TestClient.ready(t.url);
    await ws.request({ type: 'subscribe', channels: ['room'] });
    const acknowledged: number[] = [];
    const first = await post(1);
    expect(first.status).toBe(201);
    acknowledged.push((await first.json()).id);

    proxy.down();
    const refused = await post(2);
    expect(refused.status).toBe(503);
    expect((await refused.json()).error.code).toBe('RELAYKIT_ERR_STORAGE_UNAVAILABLE');
    // A read by id (served by the runtime router's direct answer) fails the same way.
    const unread = await t.request(`/messages/${acknowledged[0]}`);
    expect([unread.status, (await unread.json()).error.code]).toEqual([503, 'RELAYKIT_ERR_STORAGE_UNAVAILABLE']);
    await waitFor(async () => (await t!.request('/health/ready')).status === 503, 10_000, 'readiness to fail');
    expect(ws.closed).toBeNull();

    await proxy.up();
    await waitFor(async () => (await t!.request('/health/ready')).status === 200, 15_000, 'readiness to recover').catch(
      async (err: Error) => {
        // Name the checks still failing, so a slow recovery says where it is stuck.
        throw new Error(`${err.message}: ${await (await t!.request('/health/status')).text()}`);
      },
    );
    expect((await t.request(`/messages/${acknowledged[0]}`)).status).toBe(200);
    const after = await post(3);
    expect(after.status).toBe(201);
    acknowledged.push((await after.json()).id);
    const events = await ws.waitForEvents(2);
    expect(events.map((e) => e.id)).toEqual(acknowledged);
    const stored = await (await t.request('/messages?channel=room')).json();
    expect(stored.messages.map((m: { id: number }) => m.id)).toEqual(acknowledged);
    ws.close();
  }, 40_000);

  test('backends terminated with pg_terminate_backend under concurrent posting: every acknowledged message is stored', async () => {
    t = await startTestHub({ overrides: { storage: { url: db!.url({ schema: 'terminate' }) }, ...fast } });
    const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
    const acknowledged: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await t!.request('/messages', {
          method: 'POST',
          json: { to: 'audit', type: 'n', payload: { w, i } },
        });
        if (res.status === 201) acknowledged.push((await res.json()).id);
        else {
          expect(res.status).toBe(503);
        }
      }
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    try {
      for (let k = 0; k < 5; k++) {
        await waitFor(() => acknowledged.length >= (k + 1) * 40, 10_000, 'posts to go through');
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${db!.name} and pid <> pg_backend_pid()`;
      }
      await waitFor(() => acknowledged.length >= 260, 10_000, 'the hub to recover');
    } finally {
      stop = true;
      await Promise.all(writers);
      await admin.end({ timeout: 1 });
    }
    const stored = new Set<number>();
    let after = 0;
    for (;;) {
      const page = await (await t.request(`/messages?client=audit&limit=1000&after=${after}`)).json();
      if (!page.messages.length) break;
      for (const m of page.messages) stored.add(m.id);
      after = page.nextCursor;
    }
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    // Dense ids: whatever was refused left no hole among what was stored.
    const ids = [...stored].sort((a, b) => a - b);
    expect(ids.at(-1)! - ids[0] + 1).toBe(ids.length);
  }, 60_000);
});
