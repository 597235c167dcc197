/**
 * bench/deno: the hub's HTTP hot path, GET /messages/:id and durable POST /messages,
 * on Deno against the same hub on Bun, in one run. Servers on core 0, wrk on core 1;
 * rounds interleave the two runtimes and the summary shows medians and Deno/Bun ratios.
 * No target: the numbers say what the Deno adapter (Deno.serve, node:sqlite) costs.
 *
 *   bun bench/deno/run.ts [--rounds 3] [--seconds 5] [--connections 64]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, hasCommand, median, startServer, stopServer, type WrkResult, wrk } from '../lib/run.ts';

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
for (const tool of ['wrk', 'taskset', 'deno']) {
  if (!hasCommand(tool)) {
    console.error(`bench/deno needs ${tool} (apt-get install -y wrk util-linux; npm install -g deno)`);
    process.exit(1);
  }
}

const ROOT = resolve(import.meta.dir, '../..');
const CLI = join(ROOT, 'src/cli.ts');
const runtimes = {
  Bun: ['bun', CLI],
  Deno: ['deno', 'run', '-A', '--config', join(ROOT, 'deno.json'), CLI],
} as const;
type Runtime = keyof typeof runtimes;

const results: Record<Runtime, { get: WrkResult[]; post: WrkResult[] }> = {
  Bun: { get: [], post: [] },
  Deno: { get: [], post: [] },
};

const version = (cmd: string[]) => Bun.spawnSync(cmd).stdout.toString().split('\n')[0].trim();
console.log(`${version(['bun', '--version'])} (Bun) vs ${version(['deno', '--version'])}`);

for (let round = 1; round <= rounds; round++) {
  for (const name of Object.keys(runtimes) as Runtime[]) {
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-deno-'));
    const config = join(dir, 'relaykit.config.yaml');
    writeFileSync(config, 'log:\n  level: warn\nwatch: false\n');
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = await startServer(
      [...runtimes[name], 'start', '--config', config],
      {
        RELAYKIT_PORT: String(port),
        RELAYKIT_HOST: '127.0.0.1',
        RELAYKIT_STORAGE_URL: `sqlite:${join(dir, 'bench.db')}`,
        DENO_NO_UPDATE_CHECK: '1',
      },
      `${base}/messages?limit=1`,
    );
    try {
      for (let i = 0; i < 200; i++) {
        await fetch(`${base}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: 'seed', channel: 'bench', type: 'seed', payload: { i } }),
        });
      }
      await wrk(`${base}/messages/100`, { seconds: 1, connections }); // warm-up (JIT)
      const get = await wrk(`${base}/messages/100`, { seconds, connections });
      const post = await wrk(`${base}/messages`, {
        seconds,
        connections,
        script: join(import.meta.dir, '../http/post.lua'),
      });
      results[name].get.push(get);
      results[name].post.push(post);
      console.log(
        `round ${round} ${name.padEnd(4)} GET ${get.rps.toFixed(0).padStart(7)} req/s (p99 ${get.p99ms.toFixed(2)} ms, errors ${get.errors})  POST ${post.rps.toFixed(0).padStart(7)} req/s (p99 ${post.p99ms.toFixed(2)} ms, errors ${post.errors})`,
      );
    } finally {
      await stopServer(proc);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const med = (r: Runtime, k: 'get' | 'post', f: keyof WrkResult) => median(results[r][k].map((x) => x[f]));
console.log(`\nmedians of ${rounds} rounds, ${seconds}s each, ${connections} connections, server core 0, wrk core 1`);
console.log('hub on   GET req/s  GET p99 ms  POST req/s  POST p99 ms');
for (const r of Object.keys(results) as Runtime[]) {
  console.log(
    `${r.padEnd(6)} ${med(r, 'get', 'rps').toFixed(0).padStart(10)}  ${med(r, 'get', 'p99ms').toFixed(2).padStart(10)}  ${med(r, 'post', 'rps').toFixed(0).padStart(10)}  ${med(r, 'post', 'p99ms').toFixed(2).padStart(11)}`,
  );
}
const ratio = (k: 'get' | 'post', f: keyof WrkResult) => (med('Deno', k, f) / med('Bun', k, f)).toFixed(2);
console.log(
  `\nDeno / Bun, GET  /messages/:id: throughput ${ratio('get', 'rps')}, p99 latency ${ratio('get', 'p99ms')}`,
);
console.log(
  `Deno / Bun, POST /messages:     throughput ${ratio('post', 'rps')}, p99 latency ${ratio('post', 'p99ms')}`,
);
