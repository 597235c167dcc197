/**
 * Pusher fan-out benchmark: events triggered through the hub's Pusher HTTP API to N
 * pusher-protocol subscribers, against the hub's own ws-channels doing the same fan-out
 * (POST /messages to N /ws subscribers) and a bare Bun `server.publish` anchor
 * (bench/ws/anchor.ts), in the same run. Servers are pinned to core 0, load generators
 * to core 1; rounds interleave the targets; the summary quotes medians and ratios.
 *
 *   bun bench/pusher/run.ts [--rounds 2] [--sizes 1000,10000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Subprocess, spawn } from 'bun';
import { freePort, LOAD_CORE, median, startServer, stopServer } from '../lib/run.ts';

const root = join(import.meta.dir, '..', '..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '3' },
    messages: { type: 'string', default: '' },
  },
});
const rounds = Number(values.rounds);
const sizes = (values.sizes as string).split(',').map(Number);

/** Load per size: a paced rate every target sustains, then a closed-loop burst. */
const LOAD: Record<number, { rate: number; messages: number }> = {
  1000: { rate: 20, messages: 1000 },
  10000: { rate: 2, messages: 200 },
};

type Target = 'anchor' | 'ws-channels' | 'pusher';
const TARGETS: readonly Target[] = ['anchor', 'ws-channels', 'pusher'];

interface Result {
  memoryPerConnectionBytes: number;
  latency: { p50ms: number; p99ms: number };
  throughput: { deliveriesPerSecond: number };
  expectedDeliveries: number;
  delivered: number;
  gaps: number;
  duplicates: number;
  outOfOrder?: number;
  closes: Record<string, number>;
}

async function startHub(port: number, dir: string): Promise<Subprocess> {
  const config = join(dir, 'relaykit.config.yaml');
  writeFileSync(
    config,
    [
      `server: { host: 127.0.0.1, port: ${port} }`,
      `storage: { url: "sqlite:${join(dir, 'bench.db')}" }`,
      'log: { level: warn }',
      'watch: false',
      // Every load-generator socket comes from 127.0.0.1: lift the per-IP cap.
      'limits: { connectionsPerIp: 1000000, connectionsPerIdentity: 1000000 }',
      'plugins:',
      '  pusher:',
      '    enabled: true',
      '    apps: [{ id: bench, key: bench-key, secret: bench-secret }]',
    ].join('\n'),
  );
  return startServer(
    ['bun', join(root, 'src/cli.ts'), 'start', '-c', config],
    {},
    `http://127.0.0.1:${port}/messages?limit=1`,
  );
}

async function measure(target: Target, clients: number): Promise<Result> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-pusher-'));
  const server =
    target === 'anchor'
      ? await startServer(['bun', join(root, 'bench/ws/anchor.ts'), String(port)], {}, `http://127.0.0.1:${port}/`)
      : await startHub(port, dir);
  try {
    const load = LOAD[clients] ?? { rate: 20, messages: 200 };
    const proc = spawn(
      [
        'taskset',
        '-c',
        LOAD_CORE,
        'bun',
        'bench/ws/loadgen.ts',
        `--protocol=${target === 'pusher' ? 'pusher' : 'relaykit'}`,
        `--url=http://127.0.0.1:${port}`,
        `--pid=${server.pid}`,
        `--clients=${clients}`,
        `--rate=${load.rate}`,
        `--seconds=${values.seconds}`,
        `--messages=${values.messages || load.messages}`,
      ],
      { cwd: root, stdout: 'pipe', stderr: 'inherit' },
    );
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`loadgen failed for ${target} ${clients}`);
    return JSON.parse(out.trim().split('\n').at(-1) as string) as Result;
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map<string, Result[]>();
for (let round = 1; round <= rounds; round++) {
  for (const clients of sizes) {
    // Rotate which target goes first, so none always gets the quieter machine.
    const order = [...TARGETS.slice(round % 3), ...TARGETS.slice(0, round % 3)];
    for (const target of order) {
      const r = await measure(target, clients);
      const key = `${target}/${clients}`;
      results.set(key, [...(results.get(key) ?? []), r]);
      console.error(
        `round ${round} ${key}: ${r.throughput.deliveriesPerSecond} deliveries/s, p50 ${r.latency.p50ms.toFixed(1)} ms, p99 ${r.latency.p99ms.toFixed(1)} ms, ${r.memoryPerConnectionBytes} B/conn, gaps ${r.gaps}, dups ${r.duplicates}, out of order ${r.outOfOrder ?? 0}, delivered ${r.delivered}/${r.expectedDeliveries}, closes ${JSON.stringify(r.closes)}`,
      );
    }
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const m = (rs: Result[], f: (r: Result) => number) => median(rs.map(f));
console.log(
  `\nPusher fan-out, medians of ${rounds} round(s); pusher and ws-channels store every event in SQLite first`,
);
console.log('| subscribers | target | deliveries/s | p50 ms | p99 ms | memory/conn | gaps | dups |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const clients of sizes) {
  for (const target of TARGETS) {
    const rs = results.get(`${target}/${clients}`) ?? [];
    console.log(
      `| ${fmt(clients)} | ${target} | ${fmt(m(rs, (r) => r.throughput.deliveriesPerSecond))} | ${fmt(
        m(rs, (r) => r.latency.p50ms),
        1,
      )} | ${fmt(
        m(rs, (r) => r.latency.p99ms),
        1,
      )} | ${fmt(m(rs, (r) => r.memoryPerConnectionBytes))} B | ${rs.reduce((s, r) => s + r.gaps, 0)} | ${rs.reduce((s, r) => s + r.duplicates, 0)} |`,
    );
  }
}
console.log('\nTarget: pusher deliveries ≥ 0.8 × ws-channels; gaps = 0');
for (const clients of sizes) {
  const pusher = results.get(`pusher/${clients}`) ?? [];
  const ws = results.get(`ws-channels/${clients}`) ?? [];
  const anchor = results.get(`anchor/${clients}`) ?? [];
  const rate = (rs: Result[]) => m(rs, (r) => r.throughput.deliveriesPerSecond);
  const vsWs = rate(pusher) / rate(ws);
  const gaps = pusher.reduce((s, r) => s + r.gaps + r.duplicates + (r.outOfOrder ?? 0), 0);
  console.log(
    `${fmt(clients)} subscribers: pusher ${vsWs.toFixed(2)}× ws-channels (${vsWs >= 0.8 ? 'ok' : 'MISSED'}), ${(rate(pusher) / rate(anchor)).toFixed(2)}× anchor, gaps+dups+out-of-order ${gaps} (${gaps === 0 ? 'ok' : 'MISSED'})`,
  );
}
