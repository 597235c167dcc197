/**
 * bench/deno: the same hub on Deno against Bun, in one run:
 * - the HTTP hot path, GET /messages/:id and durable POST /messages (wrk);
 * - WebSocket fan-out: every committed message published to `--fanout-clients` sockets
 *   (bench/deno/fanout-plugin.ts, loaded by module path), deliveries per second.
 * Servers on core 0, load generators on core 1; rounds interleave the two runtimes and
 * the summary shows medians and Deno/Bun ratios. No target: the numbers say what the
 * Deno adapter (Deno.serve, node:sqlite, the adapter's pub/sub) costs.
 *
 *   bun bench/deno/run.ts [--rounds 3] [--seconds 5] [--connections 64]
 *                         [--fanout-clients 200] [--fanout-messages 1000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { freePort, hasCommand, LOAD_CORE, median, startServer, stopServer, type WrkResult, wrk } from '../lib/run.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    'fanout-clients': { type: 'string', default: '200' },
    'fanout-messages': { type: 'string', default: '1000' },
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

interface Round {
  get: WrkResult[];
  post: WrkResult[];
  /** Fan-out deliveries per second. */
  fanout: number[];
}
const results: Record<Runtime, Round> = {
  Bun: { get: [], post: [], fanout: [] },
  Deno: { get: [], post: [], fanout: [] },
};

/** Runs the fan-out client pinned to the load core; resolves with deliveries per second. */
async function fanout(base: string): Promise<number> {
  const proc = spawn(
    [
      'taskset',
      '-c',
      LOAD_CORE,
      'bun',
      join(import.meta.dir, 'fanout-client.ts'),
      '--url',
      base,
      '--clients',
      values['fanout-clients'] as string,
      '--messages',
      values['fanout-messages'] as string,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error('the fan-out client failed');
  const result = JSON.parse(out.trim().split('\n').pop() as string);
  if (result.delivered !== result.expected) throw new Error(`fan-out lost frames: ${out}`);
  return result.deliveriesPerSecond;
}

const version = (cmd: string[]) => Bun.spawnSync(cmd).stdout.toString().split('\n')[0].trim();
console.log(`${version(['bun', '--version'])} (Bun) vs ${version(['deno', '--version'])}`);

for (let round = 1; round <= rounds; round++) {
  for (const name of Object.keys(runtimes) as Runtime[]) {
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-deno-'));
    const config = join(dir, 'relaykit.config.yaml');
    writeFileSync(
      config,
      `log:\n  level: warn\nwatch: false\nplugins:\n  benchfanout:\n    module: ${join(import.meta.dir, 'fanout-plugin.ts')}\n`,
    );
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
      const fan = await fanout(base);
      results[name].get.push(get);
      results[name].post.push(post);
      results[name].fanout.push(fan);
      console.log(
        `round ${round} ${name.padEnd(4)} GET ${get.rps.toFixed(0).padStart(7)} req/s (p99 ${get.p99ms.toFixed(2)} ms, errors ${get.errors})  POST ${post.rps.toFixed(0).padStart(7)} req/s (p99 ${post.p99ms.toFixed(2)} ms, errors ${post.errors})  fan-out ${fan.toFixed(0).padStart(7)} deliveries/s`,
      );
    } finally {
      await stopServer(proc);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const med = (r: Runtime, k: 'get' | 'post', f: keyof WrkResult) => median(results[r][k].map((x) => x[f]));
const fan = (r: Runtime) => median(results[r].fanout);
console.log(`\nmedians of ${rounds} rounds, ${seconds}s each, ${connections} connections, server core 0, load core 1`);
console.log(`fan-out: ${values['fanout-clients']} WebSocket clients, ${values['fanout-messages']} messages`);
console.log('hub on   GET req/s  GET p99 ms  POST req/s  POST p99 ms  fan-out deliveries/s');
for (const r of Object.keys(results) as Runtime[]) {
  console.log(
    `${r.padEnd(6)} ${med(r, 'get', 'rps').toFixed(0).padStart(10)}  ${med(r, 'get', 'p99ms').toFixed(2).padStart(10)}  ${med(r, 'post', 'rps').toFixed(0).padStart(10)}  ${med(r, 'post', 'p99ms').toFixed(2).padStart(11)}  ${fan(r).toFixed(0).padStart(20)}`,
  );
}
const ratio = (k: 'get' | 'post', f: keyof WrkResult) => (med('Deno', k, f) / med('Bun', k, f)).toFixed(2);
console.log(
  `\nDeno / Bun, GET  /messages/:id: throughput ${ratio('get', 'rps')}, p99 latency ${ratio('get', 'p99ms')}`,
);
console.log(
  `Deno / Bun, POST /messages:     throughput ${ratio('post', 'rps')}, p99 latency ${ratio('post', 'p99ms')}`,
);
console.log(`Deno / Bun, WebSocket fan-out:  deliveries/s ${(fan('Deno') / fan('Bun')).toFixed(2)}`);
