import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { StorageError } from '../../src/storage/postgres/errors.ts';
import { openPostgres } from '../../src/storage/postgres/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { freePort } from '../helpers/process.ts';

const ROOT = join(import.meta.dir, '../..');
const db = await createTestDatabase(import.meta.path);
const withPostgres = db ? test : test.skip;

async function openError(url: string): Promise<StorageError> {
  try {
    const store = await openPostgres(url);
    await store.close();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error(`${url} opened`);
}

describe('an unusable database gives one clear line, password redacted', () => {
  test('nothing listening: names host:port/db', async () => {
    const port = freePort();
    const err = await openError(`postgres://relay:hunter2@127.0.0.1:${port}/relaykit?sslmode=disable`);
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_UNREACHABLE');
    expect(err.message).toStartWith(`Cannot reach PostgreSQL at 127.0.0.1:${port}/relaykit`);
    expect(err.message).toContain(`postgres://relay:***@127.0.0.1:${port}/relaykit`);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('\n');
  });

  test('an unknown host', async () => {
    const err = await openError('postgres://relay:hunter2@relaykit-no-such-host.invalid:5432/relaykit');
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_UNREACHABLE');
    expect(err.message).toStartWith('Cannot reach PostgreSQL at relaykit-no-such-host.invalid:5432/relaykit');
    expect(err.message).not.toContain('hunter2');
  });

  withPostgres('a database that does not exist', async () => {
    const url = new URL(db!.url());
    url.pathname = '/rk_t_no_such_database';
    url.password = 'hunter2';
    const err = await openError(url.toString());
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_UNREACHABLE');
    expect(err.message).toContain('/rk_t_no_such_database');
    expect(err.message).toContain('does not exist');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('URL options reach the server', () => {
  withPostgres('?schema= puts that schema first on the search_path', async () => {
    const store = await openPostgres(db!.url({ schema: 'tenant_a' }));
    try {
      const [row] = await store.db.execute<{ search_path: string }>(sql`show search_path`);
      expect(row.search_path).toBe('"tenant_a"');
      expect(store.target.schema).toBe('tenant_a');
    } finally {
      await store.close();
    }
  });

  withPostgres('options=-c search_path=... works as in libpq', async () => {
    const store = await openPostgres(db!.url({ options: '-c search_path=tenant_b' }));
    try {
      const [row] = await store.db.execute<{ search_path: string }>(sql`show search_path`);
      expect(row.search_path).toBe('tenant_b');
    } finally {
      await store.close();
    }
  });

  withPostgres('application_name defaults to relaykit and the URL can change it', async () => {
    for (const [extra, expected] of [
      [{}, 'relaykit'],
      [{ application_name: 'edge-1' }, 'edge-1'],
    ] as const) {
      const store = await openPostgres(db!.url(extra));
      try {
        const [row] = await store.db.execute<{ name: string }>(sql`select current_setting('application_name') as name`);
        expect(row.name).toBe(expected);
      } finally {
        await store.close();
      }
    }
  });

  withPostgres('sslmode: disable never encrypts; require and verify-full follow what the server offers', async () => {
    const plain = await openPostgres(db!.url({ sslmode: 'disable' }));
    let serverSsl: boolean;
    try {
      const [row] = await plain.client<{ ssl: boolean }[]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(row.ssl).toBe(false);
      const [setting] = await plain.client<{ ssl: string }[]>`show ssl`;
      serverSsl = setting.ssl === 'on';
    } finally {
      await plain.close();
    }
    if (!serverSsl) {
      // No TLS on the server: demanding it must fail, preferring it must fall back.
      const err = await openError(db!.url({ sslmode: 'require' }));
      expect(err.message).toContain('does not support SSL');
      const prefer = await openPostgres(db!.url({ sslmode: 'prefer' }));
      await prefer.close();
      return;
    }
    const required = await openPostgres(db!.url({ sslmode: 'require' }));
    try {
      const [row] = await required.client<{ ssl: boolean }[]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(row.ssl).toBe(true);
    } finally {
      await required.close();
    }
    // Debian's default certificate is self-signed and names another host: full verification refuses it.
    const err = await openError(db!.url({ sslmode: 'verify-full' }));
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_UNREACHABLE');
  });
});

describe('the driver is loaded only when a PostgreSQL store is opened', () => {
  test('importing the store module does not load postgres-js; openPostgres does', () => {
    const script = `
      const loaded = () => Object.keys(require.cache).filter((k) => /node_modules\\/(postgres\\/|drizzle-orm\\/postgres-js)/.test(k)).length;
      const { openPostgres } = await import(${JSON.stringify(join(ROOT, 'src/storage/postgres/index.ts'))});
      const before = loaded();
      await openPostgres('postgres://a@127.0.0.1:${freePort()}/x?sslmode=disable').catch(() => {});
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const run = Bun.spawnSync(['bun', '-e', script], { cwd: ROOT });
    expect(run.exitCode).toBe(0);
    const counts = JSON.parse(run.stdout.toString().trim()) as { before: number; after: number };
    expect(counts.before).toBe(0);
    expect(counts.after).toBeGreaterThan(0);
  });

  test('no source file imports postgres-js or its Drizzle driver statically', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          if (/^import\s+(?!type\b)[^;]*from\s+'(postgres|drizzle-orm\/postgres-js)'/m.test(text)) offenders.push(path);
        }
      }
    };
    for (const dir of ['src', 'plugins']) walk(join(ROOT, dir));
    expect(offenders).toEqual([]);
  });
});
