/**
 * WebSocket fan-out benchmark: the hub's ws-channels plugin against a bare Bun anchor
 * (bench/ws/anchor.ts) and the peer users would pick instead, Socket.IO 4
 * (bench/ws/socketio.mjs: on Node with its default engine, on Bun with
 * @socket.io/bun-engine), in the same run. Servers are pinned to core 0, the load
 * generator to core 1; rounds interleave the targets and the summary quotes medians
 * and the targets as ratios.
 *
 *   bun bench/ws/run.ts [--rounds 2] [--sizes 1000,10000] [--peers socketio-node,socketio-bun]
 *
 * `--peers ''` leaves the peers out.
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
    peers: { type: 'string', default: 'socketio-node,socketio-bun' },
  },
});
const rounds = Number(values.rounds);
const sizes = (values.sizes as string).split(',').map(Number);

/** The Socket.IO peers: the same server file, run by Node (default engine) or Bun (@socket.io/bun-engine). */
const PEERS = { 'socketio-node': 'node', 'socketio-bun': 'bun' } as const;
type Peer = keyof typeof PEERS;
type Target = 'hub' | 'anchor' | Peer;
const peers = (values.peers as string)
  .split(',')
  .filter(Boolean)
  .map((name) => {
    if (!(name in PEERS)) throw new Error(`unknown peer ${name} (known: ${Object.keys(PEERS).join(', ')})`);
    return name as Peer;
  });
/** Peer target: Relaykit's deliveries/s at least this multiple of each Socket.IO peer's. */
const PEER_TARGET = 3;

/** Load per size: a paced rate both servers sustain, then a closed-loop burst. */
const LOAD: Record<number, { rate: number; messages: number }> = {
  1000: { rate: 20, messages: 1000 },
  10000: { rate: 2, messages: 200 },
};

interface Result {
  memoryPerConnectionBytes: number;
  latency: { p50ms: number; p99ms: number };
  throughput: { deliveriesPerSecond: number };
  expectedDeliveries: number;
  delivered: number;
  gaps: number;
  duplicates: number;
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
    ].join('\n'),
  );
  return startServer(
    ['bun', join(root, 'src/cli.ts'), 'start', '-c', config],
    {},
    `http://127.0.0.1:${port}/messages?limit=1`,
  );
}

async function startTarget(target: Target, port: number, dir: string): Promise<Subprocess> {
  if (target === 'hub') return startHub(port, dir);
  const ready = `http://127.0.0.1:${port}/`;
  if (target === 'anchor') return startServer(['bun', join(root, 'bench/ws/anchor.ts'), String(port)], {}, ready);
  return startServer([PEERS[target], join(root, 'bench/ws/socketio.mjs'), String(port)], {}, ready);
}

async function measure(target: Target, clients: number): Promise<Result> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-ws-'));
  const server = await startTarget(target, port, dir);
  try {
    const load = LOAD[clients] ?? { rate: 20, messages: 200 };
    const proc = spawn(
      [
        'taskset',
        '-c',
        LOAD_CORE,
        'bun',
        'bench/ws/loadgen.ts',
        `--url=http://127.0.0.1:${port}`,
        `--pid=${server.pid}`,
        `--clients=${clients}`,
        `--rate=${load.rate}`,
        '--seconds=3',
        `--messages=${load.messages}`,
        `--protocol=${target in PEERS ? 'socketio' : 'relaykit'}`,
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
    // Alternate which target goes first, so neither always gets the quieter machine.
    const order: Target[] = round % 2 ? ['anchor', 'hub', ...peers] : [...peers, 'hub', 'anchor'];
    for (const target of order) {
      const r = await measure(target, clients);
      const key = `${target}/${clients}`;
      results.set(key, [...(results.get(key) ?? []), r]);
      console.error(
        `round ${round} ${key}: ${r.throughput.deliveriesPerSecond} deliveries/s, p50 ${r.latency.p50ms.toFixed(1)} ms, p99 ${r.latency.p99ms.toFixed(1)} ms, ${r.memoryPerConnectionBytes} B/conn, gaps ${r.gaps}, dups ${r.duplicates}, delivered ${r.delivered}/${r.expectedDeliveries}, closes ${JSON.stringify(r.closes)}`,
      );
    }
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
console.log(
  `\nWebSocket fan-out, medians of ${rounds} round(s); hub = ws-channels (durable, SQLite), anchor = bare Bun, socketio-* = Socket.IO 4 (no storage)`,
);
console.log('| subscribers | target | deliveries/s | p50 ms | p99 ms | memory/conn | gaps | dups |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const clients of sizes) {
  for (const target of ['anchor', 'hub', ...peers] as const) {
    const rs = results.get(`${target}/${clients}`) ?? [];
    console.log(
      `| ${fmt(clients)} | ${target} | ${fmt(median(rs.map((r) => r.throughput.deliveriesPerSecond)))} | ${fmt(median(rs.map((r) => r.latency.p50ms)), 1)} | ${fmt(median(rs.map((r) => r.latency.p99ms)), 1)} | ${fmt(median(rs.map((r) => r.memoryPerConnectionBytes)))} B | ${rs.reduce((s, r) => s + r.gaps, 0)} | ${rs.reduce((s, r) => s + r.duplicates, 0)} |`,
    );
  }
}
console.log('\nTargets (#16): deliveries ≥ 0.9 × anchor; p99 ≤ anchor + 5 ms; memory/conn ≤ 2 × anchor; gaps = 0');
for (const clients of sizes) {
  const hub = results.get(`hub/${clients}`) ?? [];
  const anchor = results.get(`anchor/${clients}`) ?? [];
  const m = (rs: Result[], f: (r: Result) => number) => median(rs.map(f));
  const rate = m(hub, (r) => r.throughput.deliveriesPerSecond) / m(anchor, (r) => r.throughput.deliveriesPerSecond);
  const p99 = m(hub, (r) => r.latency.p99ms);
  const p99Bound = m(anchor, (r) => r.latency.p99ms) + 5;
  const mem = m(hub, (r) => r.memoryPerConnectionBytes) / m(anchor, (r) => r.memoryPerConnectionBytes);
  const gaps = hub.reduce((s, r) => s + r.gaps + r.duplicates, 0);
  console.log(
    `${fmt(clients)} subscribers: deliveries ${rate.toFixed(2)}× (${rate >= 0.9 ? 'ok' : 'MISSED'}), p99 ${p99.toFixed(1)} ms vs bound ${p99Bound.toFixed(1)} ms (${p99 <= p99Bound ? 'ok' : 'MISSED'}), memory ${mem.toFixed(2)}× (${mem <= 2 ? 'ok' : 'MISSED'}), gaps+dups ${gaps} (${gaps === 0 ? 'ok' : 'MISSED'})`,
  );
}

if (peers.length) {
  console.log(
    `\nAgainst Socket.IO (target: hub deliveries ≥ ${PEER_TARGET} × the peer's at 10,000 subscribers, while storing every message)`,
  );
  for (const clients of sizes) {
    const hub = results.get(`hub/${clients}`) ?? [];
    for (const peer of peers) {
      const rs = results.get(`${peer}/${clients}`) ?? [];
      const m = (list: Result[], f: (r: Result) => number) => median(list.map(f));
      const rate = m(hub, (r) => r.throughput.deliveriesPerSecond) / m(rs, (r) => r.throughput.deliveriesPerSecond);
      const p99 = m(hub, (r) => r.latency.p99ms) / m(rs, (r) => r.latency.p99ms);
      const mem = m(hub, (r) => r.memoryPerConnectionBytes) / m(rs, (r) => r.memoryPerConnectionBytes);
      const verdict = clients === 10_000 ? ` (${rate >= PEER_TARGET ? 'ok' : 'MISSED'})` : '';
      console.log(
        `${fmt(clients)} subscribers, hub / ${peer}: deliveries ${rate.toFixed(2)}×${verdict}, p99 ${p99.toFixed(2)}×, memory/conn ${mem.toFixed(2)}×, peer gaps+dups ${rs.reduce((s, r) => s + r.gaps + r.duplicates, 0)}`,
      );
    }
  }
}
