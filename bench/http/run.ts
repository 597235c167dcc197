/**
 * bench/http: the hub's GET hot path (GET /messages/:id) and durable POST /messages
 * against a bare Bun.serve and a bare Elysia app doing the same work on the same
 * SQLite schema, in one run. Servers on core 0, wrk on core 1; rounds interleave the
 * three targets and the table shows medians.
 *
 *   bun bench/http/run.ts [--rounds 3] [--seconds 5] [--connections 64]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, hasCommand, median, startServer, stopServer, type WrkResult, wrk } from '../lib/run.ts';

/** The hub under load is one trusted publisher: its per-caller rate limits are raised out of the way (the limiter still runs). */
const BENCH_CONFIG =
  'log:\n  level: warn\nwatch: false\nlimits:\n  messagesPerSecond: 100000000\n  messageBurst: 100000000\n  bytesPerSecond: 100000000000\n  byteBurst: 100000000000\n';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
if (!hasCommand('wrk') || !hasCommand('taskset')) {
  console.error('bench/http needs wrk and taskset: apt-get install -y wrk util-linux');
  process.exit(1);
}

const ROOT = resolve(import.meta.dir, '../..');
const targets = {
  'bare Bun.serve': (port: number, db: string) => ({
    cmd: ['bun', join(import.meta.dir, 'bare-bun.ts')],
    env: { PORT: String(port), DB_PATH: db },
  }),
  'bare Elysia': (port: number, db: string) => ({
    cmd: ['bun', join(import.meta.dir, 'bare-elysia.ts')],
    env: { PORT: String(port), DB_PATH: db },
  }),
  'Relaykit hub': (port: number, db: string, dir: string) => {
    writeFileSync(join(dir, 'relaykit.config.yaml'), BENCH_CONFIG);
    return {
      cmd: ['bun', join(ROOT, 'src/cli.ts'), 'start', '--config', join(dir, 'relaykit.config.yaml')],
      env: { RELAYKIT_PORT: String(port), RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: `sqlite:${db}` },
    };
  },
} as const;
type Target = keyof typeof targets;

const results: Record<Target, { get: WrkResult[]; post: WrkResult[] }> = {
  'bare Bun.serve': { get: [], post: [] },
  'bare Elysia': { get: [], post: [] },
  'Relaykit hub': { get: [], post: [] },
};

for (let round = 1; round <= rounds; round++) {
  for (const name of Object.keys(targets) as Target[]) {
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-'));
    const port = freePort();
    const { cmd, env } = targets[name](port, join(dir, 'bench.db'), dir);
    const base = `http://127.0.0.1:${port}`;
    const proc = await startServer(cmd, env, `${base}/messages/1`);
    try {
      for (let i = 0; i < 200; i++) {
        await fetch(`${base}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: 'seed', channel: 'bench', type: 'seed', payload: { i } }),
        });
      }
      await wrk(`${base}/messages/100`, { seconds: 1, connections }); // warm-up
      const get = await wrk(`${base}/messages/100`, { seconds, connections });
      const post = await wrk(`${base}/messages`, { seconds, connections, script: join(import.meta.dir, 'post.lua') });
      results[name].get.push(get);
      results[name].post.push(post);
      console.log(
        `round ${round} ${name.padEnd(15)} GET ${get.rps.toFixed(0).padStart(7)} req/s (p99 ${get.p99ms.toFixed(2)} ms, errors ${get.errors})  POST ${post.rps.toFixed(0).padStart(7)} req/s (p99 ${post.p99ms.toFixed(2)} ms, errors ${post.errors})`,
      );
    } finally {
      await stopServer(proc);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const med = (t: Target, k: 'get' | 'post', f: keyof WrkResult) => median(results[t][k].map((r) => r[f]));
console.log(`\nmedians of ${rounds} rounds, ${seconds}s each, ${connections} connections, server core 0, wrk core 1`);
console.log('target           GET req/s  GET p99 ms  POST req/s  POST p99 ms');
for (const t of Object.keys(results) as Target[]) {
  console.log(
    `${t.padEnd(16)} ${med(t, 'get', 'rps').toFixed(0).padStart(9)}  ${med(t, 'get', 'p99ms').toFixed(2).padStart(10)}  ${med(t, 'post', 'rps').toFixed(0).padStart(10)}  ${med(t, 'post', 'p99ms').toFixed(2).padStart(11)}`,
  );
}
const getRatio = med('Relaykit hub', 'get', 'rps') / med('bare Elysia', 'get', 'rps');
const getVsBun = med('Relaykit hub', 'get', 'rps') / med('bare Bun.serve', 'get', 'rps');
const postRatio = med('Relaykit hub', 'post', 'rps') / med('bare Bun.serve', 'post', 'rps');
console.log(`\nhub GET  / bare Elysia GET     = ${getRatio.toFixed(2)}  (target >= 0.90)`);
console.log(`hub GET  / bare Bun.serve GET  = ${getVsBun.toFixed(2)}`);
console.log(
  `hub POST / bare Bun.serve POST = ${postRatio.toFixed(2)}  (target >= 0.70; the hub's POST is durable, group-committed)`,
);
