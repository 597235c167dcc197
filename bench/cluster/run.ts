/**
 * bench/cluster: what running several nodes as one hub costs and gives, in one run.
 *
 * 1. Fan-out: one node holding all `--subscribers` WebSocket subscribers vs `--nodes`
 *    nodes holding an equal share each, same publish rate (posts spread over the nodes):
 *    deliveries/s and post-to-receive p50/p99.
 * 2. Cross-node latency at low load: one subscriber on node 1, posts on node 0 at
 *    `--low-rate` messages/s: p50/p99 (the prototype saw 2-3 ms p50).
 * 3. The ordering guarantee's cost on every node (gap reads, hold time), from /metrics.
 * 4. Ingest: durable `POST /messages` with wrk (`--connections` in all) against one node
 *    vs spread evenly over `--nodes` nodes: requests/s, p99, and a count of the stored
 *    rows and their ids afterwards (every 201 stored, ids dense).
 *
 * Every scenario gets a fresh database. The hubs are pinned to the server core (all
 * nodes share it, so one node and N nodes get the same CPU); run the script itself on
 * the load core: `taskset -c 1 bun bench/cluster/run.ts`.
 *
 *   bun bench/cluster/run.ts [--nodes 3] [--subscribers 3000] [--rate 200] [--seconds 10]
 *     [--low-rate 20] [--connections 64] [--ingest-seconds 5]
 *     [--broker postgres|redis] [--redis-url redis://127.0.0.1:6379]
 *     [--admin-url postgres://root@127.0.0.1:5432/postgres?sslmode=disable]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Subprocess } from 'bun';
import postgres from 'postgres';
import { freePort, hasCommand, startServer, stopServer, wrk } from '../lib/run.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '3000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    'low-rate': { type: 'string', default: '20' },
    connections: { type: 'string', default: '64' },
    'ingest-seconds': { type: 'string', default: '5' },
    broker: { type: 'string', default: 'postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'admin-url': { type: 'string', default: 'postgres://root@127.0.0.1:5432/postgres?sslmode=disable' },
  },
});
const NODES = Number(values.nodes);
const SUBSCRIBERS = Number(values.subscribers);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const LOW_RATE = Number(values['low-rate']);
const ROOT = resolve(import.meta.dir, '../..');
const adminUrl = values['admin-url'] as string;

const config = [
  'log:\n  level: warn',
  'watch: false',
  // Every subscriber comes from loopback: lift the per-IP and per-identity connection caps.
  'limits:\n  messagesPerSecond: 100000000\n  messageBurst: 100000000\n  connectionsPerIp: 1000000\n  connectionsPerIdentity: 1000000',
  'plugins:\n  ws-channels:\n    maxConnections: 100000',
  ...(values.broker === 'redis'
    ? [`cluster:\n  broker:\n    url: ${values['redis-url']}\n    prefix: "rk_bench_${process.pid}:"`]
    : []),
  '',
].join('\n');

interface Hub {
  url: string;
  proc: Subprocess;
}

async function freshDatabase(name: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists "${name}" with (force)`);
  await sql.unsafe(`create database "${name}"`);
  await sql.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists "${name}" with (force)`);
  await sql.end();
}

const dirs: string[] = [];

async function startNodes(count: number, storageUrl: string): Promise<Hub[]> {
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-cluster-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'relaykit.config.yaml'), config);
  const hubs: Hub[] = [];
  for (let i = 0; i < count; i++) {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = await startServer(
      ['bun', join(ROOT, 'src/cli.ts'), 'start', '--config', join(dir, 'relaykit.config.yaml')],
      { RELAYKIT_PORT: String(port), RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: storageUrl },
      `${url}/health/live`,
    );
    hubs.push({ url, proc });
  }
  return hubs;
}

/** Opens `count` subscribers spread evenly over `hubs`; each records post-to-receive latency. */
async function subscribe(hubs: Hub[], count: number, latencies: number[]): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const opening: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const hub = hubs[i % hubs.length];
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws`);
    opening.push(
      new Promise<void>((resolve, reject) => {
        ws.onerror = () => reject(new Error('a subscriber failed to connect'));
        // A close before `subscribed` (a cap, a refusal) fails the run instead of hanging it.
        ws.onclose = (e) => reject(new Error(`a subscriber was closed with ${e.code} ${e.reason}`));
        ws.onmessage = (e) => {
          const text = String(e.data);
          if (text.includes('"type":"connected"')) ws.send('{"type":"subscribe","channels":["bench"]}');
          else if (text.includes('"type":"subscribed"')) resolve();
          else if (text.includes('"type":"event"')) {
            const at = /"sentAt":([\d.]+)/.exec(text);
            if (at) latencies.push(performance.now() - Number(at[1]));
          }
        };
      }),
    );
    sockets.push(ws);
    // Open in waves so the accept queues keep up.
    if (i % 200 === 199) await Promise.all(opening.slice(-200));
  }
  await Promise.all(opening);
  return sockets;
}

/** Posts at `rate` per second for `seconds`, round-robin over `hubs`. */
async function publish(hubs: Hub[], rate: number, seconds: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const hub = hubs[n % hubs.length];
    pending.push(
      fetch(`${hub.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'bench', type: 'bench', payload: { n, sentAt: performance.now() } }),
      }).then((r) => r.arrayBuffer()),
    );
  }
  await Promise.all(pending);
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : Number.NaN;
}

async function feedCost(hubs: Hub[]): Promise<Array<Record<string, number>>> {
  return Promise.all(
    hubs.map(async (hub) => {
      const text = await (await fetch(`${hub.url}/metrics`)).text();
      const read = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
      return {
        gapReads: read('relaykit_cluster_feed_gap_reads'),
        gapMessages: read('relaykit_cluster_feed_gap_messages'),
        holdMs: read('relaykit_cluster_feed_hold_seconds') * 1000,
        maxHoldMs: read('relaykit_cluster_feed_max_hold_seconds') * 1000,
      };
    }),
  );
}

async function scenario(label: string, nodeCount: number, subscribers: number, rate: number) {
  const name = `rk_bench_cluster_${process.pid}_${nodeCount}_${subscribers}`;
  const hubs = await startNodes(nodeCount, await freshDatabase(name));
  const latencies: number[] = [];
  try {
    const sockets = await subscribe(hubs, subscribers, latencies);
    const started = performance.now();
    const posted = await publish(hubs, rate, SECONDS);
    const expected = posted * subscribers;
    const deadline = performance.now() + 10_000;
    while (latencies.length < expected && performance.now() < deadline) await Bun.sleep(20);
    const elapsed = (performance.now() - started) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const ws of sockets) ws.close();
    return {
      label,
      nodes: nodeCount,
      subscribers,
      rate,
      deliveries: latencies.length,
      expected,
      deliveriesPerSecond: Math.round(latencies.length / elapsed),
      p50ms: Number(percentile(sorted, 50).toFixed(2)),
      p99ms: Number(percentile(sorted, 99).toFixed(2)),
      feed: await feedCost(hubs),
    };
  } finally {
    await Promise.all(hubs.map((h) => stopServer(h.proc)));
    await dropDatabase(name);
  }
}

const results = [
  await scenario('fan-out, one node', 1, SUBSCRIBERS, RATE),
  await scenario(`fan-out, ${NODES} nodes`, NODES, SUBSCRIBERS, RATE),
];
// Cross-node at low load: the subscriber sits on node 1, every post goes to node 0.
{
  const name = `rk_bench_cluster_${process.pid}_cross`;
  const hubs = await startNodes(2, await freshDatabase(name));
  const latencies: number[] = [];
  try {
    const sockets = await subscribe([hubs[1]], 1, latencies);
    await publish([hubs[0]], LOW_RATE, SECONDS);
    await Bun.sleep(500);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const ws of sockets) ws.close();
    results.push({
      label: 'cross-node, low load',
      nodes: 2,
      subscribers: 1,
      rate: LOW_RATE,
      deliveries: latencies.length,
      expected: Math.round(LOW_RATE * SECONDS),
      deliveriesPerSecond: Math.round(latencies.length / SECONDS),
      p50ms: Number(percentile(sorted, 50).toFixed(2)),
      p99ms: Number(percentile(sorted, 99).toFixed(2)),
      feed: await feedCost(hubs),
    });
  } finally {
    await Promise.all(hubs.map((h) => stopServer(h.proc)));
    await dropDatabase(name);
  }
}
/** POST load with wrk, split evenly over `nodeCount` nodes, then the stored rows checked. */
async function ingest(nodeCount: number) {
  const name = `rk_bench_cluster_${process.pid}_ingest_${nodeCount}`;
  const storageUrl = await freshDatabase(name);
  const hubs = await startNodes(nodeCount, storageUrl);
  try {
    const connections = Math.max(1, Math.floor(Number(values.connections) / nodeCount));
    const script = join(ROOT, 'bench/http/post.lua');
    const runs = await Promise.all(
      hubs.map((h) => wrk(`${h.url}/messages`, { seconds: Number(values['ingest-seconds']), connections, script })),
    );
    const sql = postgres(storageUrl, { max: 1, onnotice: () => {} });
    const [row] = await sql`select count(*)::int as n, min(id)::bigint as lo, max(id)::bigint as hi from messages`;
    await sql.end();
    return {
      label: `ingest, ${nodeCount} node${nodeCount > 1 ? 's' : ''}`,
      nodes: nodeCount,
      connections: connections * nodeCount,
      requestsPerSecond: Math.round(runs.reduce((a, r) => a + r.rps, 0)),
      p99ms: Math.max(...runs.map((r) => r.p99ms)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
      stored: row.n,
      idsDense: Number(row.hi) - Number(row.lo) + 1 === row.n,
    };
  } finally {
    await Promise.all(hubs.map((h) => stopServer(h.proc)));
    await dropDatabase(name);
  }
}

const ingestResults = hasCommand('wrk') ? [await ingest(1), await ingest(NODES)] : [];
if (!ingestResults.length) console.error('wrk not found: the ingest scenario was skipped');
else {
  const [one, many] = ingestResults;
  console.error(
    `ingest: ${many.requestsPerSecond} req/s over ${NODES} nodes vs ${one.requestsPerSecond} on one (${(many.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x); stored ${one.stored} / ${many.stored} rows, ids dense: ${one.idsDense} / ${many.idsDense}`,
  );
}
console.log(JSON.stringify({ broker: values.broker, seconds: SECONDS, results, ingest: ingestResults }, null, 2));
for (const dir of dirs) rmSync(dir, { force: true, recursive: true });
