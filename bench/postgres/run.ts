/**
 * bench/postgres: the hub on PostgreSQL against bare postgres-js servers doing the same
 * work on the same table and indexes, in one run:
 * - durable POST /messages: the hub (group commit, dense ids) vs a bare Bun.serve +
 *   postgres-js inserting one row per request in its own autocommit;
 * - GET /messages/:id: the hub vs a bare Elysia + postgres-js select.
 * Each target gets a fresh database per round (created on the server of --admin-url,
 * dropped after). Servers on core 0, wrk on core 1; PostgreSQL itself is not pinned.
 *
 *   bun bench/postgres/run.ts [--rounds 3] [--seconds 5] [--connections 64]
 *     [--targets bun,elysia,hub] [--anchor-ids sequence|counter] [--pg-max 10]
 *     [--admin-url postgres://root@127.0.0.1:5432/postgres?sslmode=disable] [--baseline <git ref>]
 *
 * `--baseline` adds the hub of another commit (e.g. `main`) as one more target, so its
 * numbers and the current ones come from the same run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migratePostgres, openPostgres, redactUrl } from '../../src/storage/postgres/index.ts';
import {
  checkoutBaseline,
  freePort,
  hasCommand,
  median,
  startServer,
  stopServer,
  type WrkResult,
  wrk,
} from '../lib/run.ts';

/** The hub under load is one trusted publisher: its per-caller rate limits are raised out of the way (the limiter still runs). */
const BENCH_CONFIG =
  'log:\n  level: warn\nwatch: false\nlimits:\n  messagesPerSecond: 100000000\n  messageBurst: 100000000\n  bytesPerSecond: 100000000000\n  byteBurst: 100000000000\n';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    targets: { type: 'string', default: 'bun,elysia,hub' },
    'anchor-ids': { type: 'string', default: 'sequence' },
    'pg-max': { type: 'string', default: '10' },
    'admin-url': { type: 'string', default: 'postgres://root@127.0.0.1:5432/postgres?sslmode=disable' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const adminUrl = values['admin-url'];
if (!hasCommand('wrk') || !hasCommand('taskset')) {
  console.error('bench/postgres needs wrk and taskset: apt-get install -y wrk util-linux');
  process.exit(1);
}
if (values['anchor-ids'] !== 'sequence' && values['anchor-ids'] !== 'counter') {
  console.error('--anchor-ids is sequence or counter');
  process.exit(1);
}

const ROOT = resolve(import.meta.dir, '../..');

/** The hub of the source tree at `root` on the database at `url`. */
function hubStart(root: string) {
  return (port: number, url: string, dir: string) => {
    writeFileSync(join(dir, 'relaykit.config.yaml'), BENCH_CONFIG);
    return {
      cmd: ['bun', join(root, 'src/cli.ts'), 'start', '--config', join(dir, 'relaykit.config.yaml')],
      env: { RELAYKIT_PORT: String(port), RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: url },
    };
  };
}
const POST_SCRIPT = join(ROOT, 'bench/http/post.lua');
const anchorEnv = (port: number, url: string) => ({
  PORT: String(port),
  DATABASE_URL: url,
  ANCHOR_IDS: values['anchor-ids'] as string,
  PG_MAX: values['pg-max'] as string,
});
const allTargets = {
  'bare Bun.serve': {
    key: 'bun',
    start: (port: number, url: string) => ({
      cmd: ['bun', join(import.meta.dir, 'bare-bun.ts')],
      env: anchorEnv(port, url),
    }),
  },
  'bare Elysia': {
    key: 'elysia',
    start: (port: number, url: string) => ({
      cmd: ['bun', join(import.meta.dir, 'bare-elysia.ts')],
      env: anchorEnv(port, url),
    }),
  },
  'Relaykit hub': { key: 'hub', start: hubStart(ROOT) },
} as Record<
  string,
  { key: string; start: (port: number, url: string, dir: string) => { cmd: string[]; env: Record<string, string> } }
>;
type Target = string;
const BASELINE = `hub @ ${values.baseline}`;
const baseline = values.baseline ? checkoutBaseline(values.baseline) : null;
process.on('exit', () => baseline?.remove());
if (baseline) allTargets[BASELINE] = { key: 'baseline', start: hubStart(baseline.root) };
const chosen = [...values.targets.split(','), ...(baseline ? ['baseline'] : [])];
const targets = (Object.keys(allTargets) as Target[]).filter((t) => chosen.includes(allTargets[t].key));

const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const [{ server_version }] = await admin<{ server_version: string }[]>`show server_version`;
console.log(
  `PostgreSQL ${server_version} at ${redactUrl(adminUrl)}; anchors number rows with a ${values['anchor-ids']}`,
);

/** A fresh database for one target and round; the anchors' gets the hub's migrations (the hub migrates its own). */
async function freshDatabase(name: string, migrate: boolean): Promise<string> {
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', url.searchParams.get('sslmode') ?? 'disable');
  if (migrate) {
    const store = await openPostgres(url.toString());
    await migratePostgres(store);
    await store.close();
  }
  return url.toString();
}

const results = Object.fromEntries(targets.map((t) => [t, { get: [], post: [] }])) as unknown as Record<
  Target,
  { get: WrkResult[]; post: WrkResult[] }
>;

try {
  for (let round = 1; round <= rounds; round++) {
    for (const name of targets) {
      const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-pg-'));
      const database = `rk_bench_pg_${allTargets[name].key}_${process.pid}`;
      const url = await freshDatabase(database, allTargets[name].key !== 'hub' && allTargets[name].key !== 'baseline');
      const port = freePort();
      const { cmd, env } = allTargets[name].start(port, url, dir);
      const base = `http://127.0.0.1:${port}`;
      let proc: Awaited<ReturnType<typeof startServer>>;
      try {
        proc = await startServer(cmd, env, `${base}/messages/1`);
      } catch (err) {
        console.error(`${name} did not start on PostgreSQL: ${(err as Error).message}`);
        await admin.unsafe(`drop database if exists "${database}" with (force)`);
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      try {
        for (let i = 0; i < 200; i++) {
          const res = await fetch(`${base}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ from: 'seed', channel: 'bench', type: 'seed', payload: { i } }),
          });
          if (res.status !== 201) throw new Error(`${name}: seeding POST answered ${res.status}`);
        }
        await wrk(`${base}/messages/100`, { seconds: 1, connections }); // warm-up
        const get = await wrk(`${base}/messages/100`, { seconds, connections });
        const post = await wrk(`${base}/messages`, { seconds, connections, script: POST_SCRIPT });
        results[name].get.push(get);
        results[name].post.push(post);
        console.log(
          `round ${round} ${name.padEnd(16)} GET ${get.rps.toFixed(0).padStart(7)} req/s (p99 ${get.p99ms.toFixed(2)} ms, errors ${get.errors})  POST ${post.rps.toFixed(0).padStart(7)} req/s (p99 ${post.p99ms.toFixed(2)} ms, errors ${post.errors})`,
        );
      } finally {
        await stopServer(proc);
        await admin.unsafe(`drop database if exists "${database}" with (force)`);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await admin.end();
}

const ran = targets.filter((t) => results[t].get.length);
const med = (t: Target, k: 'get' | 'post', f: keyof WrkResult) => median(results[t][k].map((r) => r[f]));
console.log(`\nmedians of ${rounds} rounds, ${seconds}s each, ${connections} connections, server core 0, wrk core 1`);
console.log('target           GET req/s  GET p99 ms  POST req/s  POST p99 ms');
for (const t of ran) {
  console.log(
    `${t.padEnd(16)} ${med(t, 'get', 'rps').toFixed(0).padStart(9)}  ${med(t, 'get', 'p99ms').toFixed(2).padStart(10)}  ${med(t, 'post', 'rps').toFixed(0).padStart(10)}  ${med(t, 'post', 'p99ms').toFixed(2).padStart(11)}`,
  );
}
const has = (t: Target) => ran.includes(t);
if (has('Relaykit hub') && has('bare Bun.serve')) {
  const ratio = med('Relaykit hub', 'post', 'rps') / med('bare Bun.serve', 'post', 'rps');
  console.log(`\nhub POST / bare Bun.serve + postgres-js POST = ${ratio.toFixed(2)}  (target >= 1.5: group commit)`);
}
if (has('Relaykit hub') && has('bare Elysia')) {
  const ratio = med('Relaykit hub', 'get', 'rps') / med('bare Elysia', 'get', 'rps');
  console.log(`hub GET  / bare Elysia + postgres-js GET     = ${ratio.toFixed(2)}`);
}
if (has('Relaykit hub') && has(BASELINE)) {
  const vs = (k: 'get' | 'post') => (med('Relaykit hub', k, 'rps') / med(BASELINE, k, 'rps')).toFixed(2);
  console.log(`this tree vs ${values.baseline}, same run: GET ${vs('get')}x, POST ${vs('post')}x`);
}
