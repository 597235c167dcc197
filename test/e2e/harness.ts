/**
 * The end-to-end harness: every test here talks to a hub started as a child process
 * (`relaykit start` on Bun, and on Deno when it is installed) over HTTP and WebSocket
 * only. A test file wraps its cases in `forEachRuntime` and runs them once per runtime
 * and store: SQLite, and PostgreSQL when it answers (see `STORES`).
 */
import { describe } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import postgres from 'postgres';
import { redactUrl } from '../../src/storage/postgres/url.ts';
import { POSTGRES_ADMIN_URL, postgresAvailable } from '../helpers/postgres.ts';
import { availableRuntimes, type HubProcess, type Runtime, spawnHub } from '../helpers/process.ts';

export { waitFor } from '../helpers/hub.ts';

export const RUNTIMES = availableRuntimes();

export type Store = 'sqlite' | 'postgres';

/** A runtime to start hubs on, with the store they keep their data in. */
export type E2ERuntime = Runtime & { store?: Store };

/**
 * The stores the suite runs on: `RELAYKIT_E2E_STORES` (e.g. `sqlite,postgres`), by
 * default SQLite and PostgreSQL when PostgreSQL answers. A store that is asked for
 * (or PostgreSQL under CI=true) and not there fails the run; locally a missing
 * PostgreSQL is skipped with a loud banner.
 */
export const STORES: Store[] = await availableStores();

async function availableStores(env = process.env): Promise<Store[]> {
  const wanted = (env.RELAYKIT_E2E_STORES ?? '').split(',').filter(Boolean) as Store[];
  const needPostgres = wanted.includes('postgres') || (env.CI === 'true' && !wanted.length);
  if (wanted.length && !wanted.includes('postgres')) return wanted;
  if (await postgresAvailable()) return wanted.length ? wanted : ['sqlite', 'postgres'];
  const where = redactUrl(POSTGRES_ADMIN_URL);
  if (needPostgres) throw new Error(`the e2e suite must run on PostgreSQL, and nothing answers at ${where}`);
  const line = '!'.repeat(100);
  console.warn(
    `\n${line}\n!! SKIPPED: the e2e suite runs on SQLite only: no PostgreSQL answers at ${where}.\n` +
      `!! Start PostgreSQL (bash .ci/run does) or set RELAYKIT_TEST_POSTGRES_URL. Under CI=true this fails.\n${line}\n`,
  );
  return wanted.length ? wanted.filter((s) => s !== 'postgres') : ['sqlite'];
}

/**
 * This process's e2e database on the test server (one schema per hub folder in it),
 * created when the harness loads: a one-time cost (seconds on a busy server) that must
 * not fall into whichever Postgres test happens to run first, within its timeout.
 */
const e2eDatabase: string | null = STORES.includes('postgres') ? await createE2EDatabase() : null;

async function createE2EDatabase(): Promise<string> {
  // `rk_t_<name>_<pid>`: test/helpers/postgres.ts drops it once this process is gone.
  const name = `rk_t_e2e_${process.pid}`;
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const exists = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists.length) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  return name;
}

function postgresUrl(dir: string): string {
  if (!e2eDatabase) throw new Error('the e2e suite does not run on PostgreSQL here (see STORES)');
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${e2eDatabase}`;
  // One hub folder, one schema: a hub restarted in the same folder finds its data.
  url.searchParams.set(
    'schema',
    `hub_${basename(dir)
      .replace(/[^a-zA-Z0-9]+/g, '_')
      .toLowerCase()}`,
  );
  return url.toString();
}
export const ROOT = resolve(import.meta.dir, '../..');
export const AUDIT_PLUGIN = join(ROOT, 'examples/custom-plugin/audit.ts');
export const PROBE_PLUGIN = join(import.meta.dir, 'fixtures/probe.ts');

/**
 * Registers the cases of `body` once per runtime and store, in a `describe` named
 * after them (`[bun]`, `[deno, postgres]`). `stores` narrows the stores (a suite
 * about SQLite files).
 */
export function forEachRuntime(
  title: string,
  body: (runtime: E2ERuntime) => void,
  stores: readonly Store[] = STORES,
): void {
  for (const store of STORES.filter((s) => stores.includes(s))) {
    for (const runtime of RUNTIMES) {
      const label = store === 'sqlite' ? runtime.name : `${runtime.name}, ${store}`;
      describe(`${title} [${label}]`, () => body({ ...runtime, store }));
    }
  }
}

export interface E2EHub {
  runtime: E2ERuntime;
  url: string;
  dir: string;
  configPath: string;
  /** The SQLite file (unused on PostgreSQL). */
  dbPath: string;
  /** `storage.url` the hub runs on. */
  storageUrl: string;
  process: HubProcess;
  /** fetch relative to the hub, JSON-encoding `json` bodies. */
  request(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Stops the hub (if running) and removes its folder. */
  dispose(): Promise<void>;
}

export interface E2EHubOptions {
  /** YAML for relaykit.config.yaml in the hub's folder. */
  config?: string;
  env?: Record<string, string>;
  /** Reuse the folder (and database) of an earlier hub. */
  dir?: string;
  /** Listen on this port (to restart a hub where its clients expect it). */
  port?: number;
}

/**
 * Starts `relaykit start --config <dir>/relaykit.config.yaml` on `runtime`, with a
 * SQLite file in `dir` or (store `postgres`) a schema of its own named after `dir`.
 */
export async function startHub(runtime: E2ERuntime, options: E2EHubOptions = {}): Promise<E2EHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `relaykit-e2e-${runtime.name}-`));
  const configPath = join(dir, 'relaykit.config.yaml');
  if (options.config !== undefined) writeFileSync(configPath, options.config);
  const dbPath = join(dir, 'relaykit.db');
  const storageUrl = runtime.store === 'postgres' ? postgresUrl(dir) : `sqlite:${dbPath}`;
  const hubProcess = await spawnHub({
    cwd: dir,
    runtime,
    // Without a file the hub reads the default path, which is this same file in `dir`.
    args: existsSync(configPath) ? ['--config', configPath] : [],
    ...(options.port ? { port: options.port } : {}),
    env: { RELAYKIT_STORAGE_URL: storageUrl, ...options.env },
  });
  let exited: Promise<number> | null = null;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!exited) {
      hubProcess.proc.kill(signal);
      exited = hubProcess.proc.exited;
    }
    return exited;
  };
  return {
    runtime,
    url: hubProcess.url,
    dir,
    configPath,
    dbPath,
    storageUrl,
    process: hubProcess,
    request(path, init = {}) {
      const { json, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set('content-type', 'application/json');
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${hubProcess.url}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    stop,
    async dispose() {
      if (hubProcess.proc.exitCode === null) {
        const killer = setTimeout(() => hubProcess.proc.kill('SIGKILL'), 10_000);
        await stop();
        clearTimeout(killer);
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts a message and returns the stored one (fails the test on any other status). */
export async function send(
  hub: E2EHub,
  message: Record<string, unknown>,
  token?: string,
): Promise<{ id: number } & Record<string, unknown>> {
  const res = await hub.request('/messages', { method: 'POST', json: message, ...(token ? { token } : {}) });
  if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
  return res.json();
}
