/**
 * PostgreSQL for tests: one fresh database per test file, dropped when the file ends.
 *
 * The server is `RELAYKIT_TEST_POSTGRES_URL` (default postgres://root@127.0.0.1:5432/postgres,
 * trust auth on loopback, as .ci/run sets it up). When it does not answer:
 * - under `CI=true` the file fails (CI must test Postgres, not skip it);
 * - otherwise the file's Postgres tests are skipped and a loud banner says which.
 */
import { afterAll } from 'bun:test';
import { basename } from 'node:path';
import postgres from 'postgres';
import { redactUrl } from '../../src/storage/postgres/url.ts';

export const POSTGRES_ADMIN_URL =
  process.env.RELAYKIT_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres?sslmode=disable';

/** Every test database starts with this, then the file's name and the process id. */
const PREFIX = 'rk_t_';

export interface TestDatabase {
  /** Its name (`rk_t_<file>[_<suffix>]_<pid>`). */
  name: string;
  /** A `postgres://` URL to it, with `extra` query parameters appended (`{ schema: 'x' }`). */
  url(extra?: Record<string, string>): string;
  /** Drops it, closing whatever is still connected (also done after the file). */
  drop(): Promise<void>;
}

let answering: Promise<boolean> | undefined;

/** Whether the test server answers (asked once per process, 3 s at most). */
export function postgresAvailable(): Promise<boolean> {
  answering ??= (async () => {
    const sql = admin({ connect_timeout: 3 });
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  })();
  return answering;
}

/**
 * A fresh, empty database for the calling test file, dropped after the file's
 * tests (afterAll). Returns null when Postgres is not answering and this is not
 * CI (after printing what is skipped); throws under CI=true.
 * `file` is the test file's `import.meta.path` (names the database and the banner);
 * `suffix` tells apart several databases of one file.
 */
export async function createTestDatabase(file: string, suffix = ''): Promise<TestDatabase | null> {
  if (!(await postgresAvailable())) {
    const where = redactUrl(POSTGRES_ADMIN_URL);
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is not answering at ${where}, and CI must run ${basename(file)} (.ci/run starts it)`);
    }
    const line = '!'.repeat(100);
    console.warn(
      `\n${line}\n!! SKIPPED: the PostgreSQL tests of ${basename(file)} did not run: nothing answers at ${where}.\n` +
        `!! Start PostgreSQL (bash .ci/run does) or set RELAYKIT_TEST_POSTGRES_URL. Under CI=true this fails.\n${line}\n`,
    );
    return null;
  }
  const slug = basename(file)
    .replace(/\.test\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `${PREFIX}${slug}${suffix ? `_${suffix}` : ''}_${process.pid}`;
  const sql = admin();
  try {
    await dropAbandoned(sql);
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  let dropped = false;
  const db: TestDatabase = {
    name,
    url(extra = {}) {
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${name}`;
      for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
      return url.toString();
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      const sql = admin();
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
  afterAll(() => db.drop());
  return db;
}

function admin(options: postgres.Options<Record<string, never>> = {}) {
  return postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {}, ...options });
}

/** Test databases left by processes that died before their afterAll (pid no longer running). */
async function dropAbandoned(sql: postgres.Sql): Promise<void> {
  const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${`${PREFIX}%`}`;
  for (const { datname } of rows) {
    const pid = Number(/_(\d+)$/.exec(datname)?.[1]);
    if (!pid || alive(pid)) continue;
    await sql.unsafe(`drop database if exists "${datname}" with (force)`).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
