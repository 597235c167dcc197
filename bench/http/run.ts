/**
 * bench/http: the hub's GET hot path (GET /messages/:id) and durable POST /messages
 * against a bare Bun.serve and a bare Elysia app doing the same work on the same
 * SQLite schema, in one run. Servers on core 0, wrk on core 1; rounds interleave the
 * three targets and the table shows medians.
 *
 *   bun bench/http/run.ts [--rounds 3] [--seconds 5] [--connections 64] [--baseline <git ref>]
 *
 * `--baseline` adds the hub of another commit (e.g. `main`, or the commit before a change)
 * as a fourth target, so its ratios and the current ones come from the same run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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
const BASE_CONFIG = 'log:\n  level: warn\nwatch: false\n';
const BENCH_CONFIG = `${BASE_CONFIG}limits:\n  messagesPerSecond: 100000000\n  messageBurst: 100000000\n  bytesPerSecond: 100000000000\n  byteBurst: 100000000000\n`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    baseline: { type: 'string' },
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
const baseline = values.baseline ? checkoutBaseline(values.baseline) : null;
process.on('exit', () => baseline?.remove());

/** The hub of the source tree at `root`, on SQLite. */
function hubTarget(root: string, config: string) {
  return (port: number, db: string, dir: string) => {
    writeFileSync(join(dir, 'relaykit.config.yaml'), config);
    return {
      cmd: ['bun', join(root, 'src/cli.ts'), 'start', '--config', join(dir, 'relaykit.config.yaml')],
      env: { RELAYKIT_PORT: String(port), RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: `sqlite:${db}` },
    };
  };
}

type Start = (port: number, db: string, dir: string) => { cmd: string[]; env: Record<string, string> };
const targets: Record<string, Start> = {
  'bare Bun.serve': (port: number, db: string) => ({
    cmd: ['bun', join(import.meta.dir, 'bare-bun.ts')],
    env: { PORT: String(port), DB_PATH: db },
  }),
  'bare Elysia': (port: number, db: string) => ({
    cmd: ['bun', join(import.meta.dir, 'bare-elysia.ts')],
    env: { PORT: String(port), DB_PATH: db },
  }),
  'Relaykit hub': hubTarget(ROOT, BENCH_CONFIG),
};
const BASELINE = `hub @ ${values.baseline}`;
if (baseline) targets[BASELINE] = hubTarget(baseline.root, baseline.limits ? BENCH_CONFIG : BASE_CONFIG);
type Target = string;

const results: Record<Target, { get: WrkResult[]; post: WrkResult[] }> = Object.fromEntries(
  Object.keys(targets).map((t) => [t, { get: [], post: [] }]),
);

for (let round = 1; round <= rounds; round++) {
  for (const name of Object.keys(targets)) {
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
        `round ${round} ${name.padEnd(16)} GET ${get.rps.toFixed(0).padStart(7)} req/s (p99 ${get.p99ms.toFixed(2)} ms, errors ${get.errors})  POST ${post.rps.toFixed(0).padStart(7)} req/s (p99 ${post.p99ms.toFixed(2)} ms, errors ${post.errors})`,
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
for (const t of Object.keys(results)) {
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
  `hub POST / bare Bun.serve POST = ${postRatio.toFixed(2)}  (#16 target >= 2.0; the hub's POST is durable, group-committed)`,
);
if (baseline) {
  const ratio = (t: Target, k: 'get' | 'post', anchor: Target) => med(t, k, 'rps') / med(anchor, k, 'rps');
  console.log(
    `\n${BASELINE}: GET / bare Elysia = ${ratio(BASELINE, 'get', 'bare Elysia').toFixed(2)}, POST / bare Bun.serve = ${ratio(BASELINE, 'post', 'bare Bun.serve').toFixed(2)}`,
  );
  console.log(
    `this tree vs ${values.baseline}, same run: GET ${ratio('Relaykit hub', 'get', BASELINE).toFixed(2)}x, POST ${ratio('Relaykit hub', 'post', BASELINE).toFixed(2)}x`,
  );
}
