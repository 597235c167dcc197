/**
 * The migration race, with whole hubs: three `relaykit start` processes started at the
 * same moment on one empty PostgreSQL database all come up ready, and the schema is
 * migrated exactly once (the advisory lock serialises them: one migrates, the others
 * wait, then find nothing to do), a third-party plugin's own migrations included.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { BUILTIN_PG_MIGRATIONS } from '../../src/storage/postgres/migrate.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type HubProcess, spawnHub } from '../helpers/process.ts';

const db = await createTestDatabase(import.meta.path);
/** A third-party plugin with migrations of its own: they race too. */
const PINS = resolve(import.meta.dir, '../../examples/custom-plugin/pins/index.ts');
const withPostgres = db ? test : test.skip;

const hubs: HubProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const hub of hubs) hub.proc.kill('SIGKILL');
  await Promise.all(hubs.map((h) => h.proc.exited));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('three hubs starting together on an empty PostgreSQL database', () => {
  withPostgres(
    "all come up ready, the schema (a plugin's tables too) is migrated once, and they share one id sequence",
    async () => {
      const url = db!.url();
      const started = await Promise.all(
        [1, 2, 3].map((n) => {
          const dir = mkdtempSync(join(tmpdir(), `relaykit-race-${n}-`));
          dirs.push(dir);
          const config = join(dir, 'relaykit.config.yaml');
          writeFileSync(config, `plugins:\n  pins:\n    module: ${PINS}\n`);
          return spawnHub({ cwd: dir, args: ['--config', config], env: { RELAYKIT_STORAGE_URL: url } });
        }),
      );
      hubs.push(...started);

      for (const hub of started) {
        const ready = await fetch(`${hub.url}/health/ready`);
        expect(ready.status).toBe(200);
      }
      // Each hub writes, and every hub reads what the others wrote.
      const ids: number[] = [];
      for (const [n, hub] of started.entries()) {
        const res = await fetch(`${hub.url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'race', type: 'hello', payload: { from: n } }),
        });
        expect(res.status).toBe(201);
        ids.push(((await res.json()) as { id: number }).id);
      }
      expect(ids).toEqual([1, 2, 3]);
      for (const hub of started) {
        const page = (await (await fetch(`${hub.url}/messages?channel=race`)).json()) as {
          messages: { id: number }[];
        };
        expect(page.messages.map((m) => m.id)).toEqual([1, 2, 3]);
      }

      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const applied = await sql<{ hash: string }[]>`select hash from public.__drizzle_migrations order by id`;
        expect(applied.map((r) => r.hash)).toEqual(BUILTIN_PG_MIGRATIONS.map((m) => m.hash));
        const [plugin] = await sql<{ n: number }[]>`select count(*)::int as n from public.__relaykit_migrations_pins`;
        expect(plugin.n).toBe(1);
        const [counter] = await sql<{ n: number }[]>`select count(*)::int as n from public.message_id_counter`;
        expect(counter.n).toBe(1);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
    60_000,
  );
});
