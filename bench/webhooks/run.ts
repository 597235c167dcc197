/**
 * bench/webhooks: deliveries per second from the hub's outbox to a local receiver that
 * answers 204 (signing, leasing and recording every attempt included), against an
 * anchor in the same run: a plain fetch POST loop at the same concurrency with a body
 * of the same size. Then enqueue-to-delivery latency (message accepted → webhook
 * received) at a steady rate. Hub and anchor run on core 0, the receiver on core 1;
 * rounds interleave the two and the summary quotes medians.
 *
 *   bun bench/webhooks/run.ts [--rounds 3] [--deliveries 20000] [--concurrency 64] [--rate 500] [--seconds 5] [--warmup 0]
 *
 * `--warmup N` first sends N deliveries through each side and measures only after them:
 * the anchor's loop and the hub's worker then run JIT-compiled code, as a long-lived hub
 * does (the default, 0, measures from a fresh process, warm-up included).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { freePort, hasCommand, LOAD_CORE, median, SERVER_CORE, startServer, stopServer } from '../lib/run.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    deliveries: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '0' },
  },
});
const rounds = Number(values.rounds);
const deliveries = Number(values.deliveries);
const concurrency = Number(values.concurrency);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
if (!hasCommand('taskset')) {
  console.error('bench/webhooks needs taskset: apt-get install -y util-linux');
  process.exit(1);
}

const ROOT = resolve(import.meta.dir, '../..');
const ADMIN = 'bench-admin-token';
/** About the size of a delivered envelope for the small messages sent below. */
const ENVELOPE_BYTES = 300;

interface Stats {
  count: number;
  spanMs: number;
  p50ms: number;
  p99ms: number;
}

const receiverPort = freePort();
const receiverUrl = `http://127.0.0.1:${receiverPort}`;
const receiver = spawn(['taskset', '-c', LOAD_CORE, 'bun', join(import.meta.dir, 'receiver.ts')], {
  env: { ...process.env, PORT: String(receiverPort) },
  stdout: 'ignore',
  stderr: 'inherit',
});
const stats = async (): Promise<Stats> => (await fetch(`${receiverUrl}/stats`)).json();
const reset = () => fetch(`${receiverUrl}/reset`, { method: 'POST' });
for (let i = 0; ; i++) {
  if (
    await fetch(`${receiverUrl}/stats`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 200) throw new Error('receiver did not start');
  await Bun.sleep(50);
}

async function waitForCount(n: number, timeoutMs = 180_000): Promise<Stats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await stats();
    if (s.count >= n) return s;
    if (Date.now() > deadline) throw new Error(`receiver got ${s.count} of ${n}`);
    await Bun.sleep(25);
  }
}

async function runAnchor(): Promise<{ rate: number; cpuUs: number }> {
  await reset();
  const anchor = spawn(
    [
      'taskset',
      '-c',
      SERVER_CORE,
      'bun',
      join(import.meta.dir, 'anchor.ts'),
      `${receiverUrl}/bulk`,
      String(deliveries),
      String(concurrency),
      String(ENVELOPE_BYTES),
      String(warmup),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  const out = await new Response(anchor.stdout).text();
  await anchor.exited;
  const s = await waitForCount(deliveries);
  const { cpuUsPerRequest } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { cpuUsPerRequest: number };
  return { rate: (s.count / s.spanMs) * 1000, cpuUs: cpuUsPerRequest };
}

/** CPU time a process has used so far (user + system), in microseconds, from /proc. */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
}

async function post(url: string, path: string, body: unknown, method = 'POST'): Promise<Response> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function runHub(): Promise<{ rate: number; cpuUs: number; p50ms: number; p99ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-webhooks-'));
  const config = join(dir, 'relaykit.config.yaml');
  writeFileSync(
    config,
    `log:\n  level: warn\nwatch: false\nplugins:\n  webhooks:\n    security:\n      allowNetworks: ['127.0.0.0/8']\n    worker:\n      enabled: false\n      concurrency: ${concurrency}\n      perEndpointConcurrency: ${concurrency}\n`,
  );
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const hub = await startServer(
    ['bun', join(ROOT, 'src/cli.ts'), 'start', '--config', config],
    {
      RELAYKIT_PORT: String(port),
      RELAYKIT_HOST: '127.0.0.1',
      RELAYKIT_STORAGE_URL: `sqlite:${join(dir, 'hub.db')}`,
      RELAYKIT_ADMIN_TOKEN: ADMIN,
    },
    `${url}/messages?limit=1`,
  );
  try {
    await post(url, '/webhooks/endpoints', {
      url: `${receiverUrl}/bulk`,
      events: ['message.sent'],
      channels: ['bulk'],
    });
    await post(url, '/webhooks/endpoints', {
      url: `${receiverUrl}/latency`,
      events: ['message.sent'],
      channels: ['lat'],
    });

    /** Puts `count` deliveries in the outbox (the worker is off). */
    const fill = async (count: number) => {
      let sent = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (sent < count) {
            const n = sent++;
            await post(url, '/messages', { channel: 'bulk', type: 'bench.tick', payload: { n, note: 'benchmark' } });
          }
        }),
      );
    };
    const worker = (enabled: boolean) =>
      post(url, '/admin/plugins/webhooks', { options: { worker: { enabled } } }, 'PATCH');
    if (warmup > 0) {
      // The same drain, unmeasured: the worker's code is compiled by the time it counts.
      await fill(warmup);
      await reset();
      await worker(true);
      await waitForCount(warmup);
      await worker(false);
    }
    // Fill the outbox with the worker off, then measure how fast it drains.
    await fill(deliveries);
    await reset();
    const cpuBefore = cpuUs(hub.pid);
    await worker(true);
    const drained = await waitForCount(deliveries);
    const drainCpuUs = (cpuUs(hub.pid) - cpuBefore) / deliveries;

    // Latency at a steady rate, with the worker on.
    await reset();
    const total = rate * seconds;
    const started = Date.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await Bun.sleep(due - Date.now());
      inflight.push(post(url, '/messages', { channel: 'lat', type: 'bench.tick', payload: { i } }));
    }
    await Promise.all(inflight);
    const latency = await waitForCount(total);
    return {
      rate: (drained.count / drained.spanMs) * 1000,
      cpuUs: drainCpuUs,
      p50ms: latency.p50ms,
      p99ms: latency.p99ms,
    };
  } finally {
    await stopServer(hub);
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Array<{ anchor: number; hub: number; anchorCpu: number; hubCpu: number; p50ms: number; p99ms: number }> =
  [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
try {
  for (let round = 1; round <= rounds; round++) {
    const anchor = await runAnchor();
    const hub = await runHub();
    rows.push({
      anchor: anchor.rate,
      hub: hub.rate,
      anchorCpu: anchor.cpuUs,
      hubCpu: hub.cpuUs,
      p50ms: hub.p50ms,
      p99ms: hub.p99ms,
    });
    console.log(
      `round ${round}: anchor ${fmt(anchor.rate)}/s (${anchor.cpuUs.toFixed(0)} µs CPU each), webhooks ${fmt(hub.rate)}/s (${hub.cpuUs.toFixed(0)} µs CPU each), ${(hub.rate / anchor.rate).toFixed(2)}x; latency p50 ${hub.p50ms} ms p99 ${hub.p99ms} ms`,
    );
  }
} finally {
  receiver.kill();
}

const med = (key: keyof (typeof rows)[number]) => median(rows.map((r) => r[key]));
console.log(
  `\n${deliveries} deliveries, concurrency ${concurrency}, ${rounds} rounds (medians)${warmup ? `, after ${warmup} unmeasured on each side` : ''}`,
);
console.log('| target | deliveries/s | ratio | CPU per delivery | ratio |');
console.log('| --- | --- | --- | --- | --- |');
console.log(
  `| anchor: plain fetch POST loop | ${fmt(med('anchor'))} | 1.00 | ${med('anchorCpu').toFixed(0)} µs | 1.00 |`,
);
console.log(
  `| webhooks (sign, lease, record) | ${fmt(med('hub'))} | ${(med('hub') / med('anchor')).toFixed(2)} | ${med('hubCpu').toFixed(0)} µs | ${(med('anchorCpu') / med('hubCpu')).toFixed(2)} |`,
);
console.log(
  `\nenqueue-to-delivery latency at ${rate} messages/s for ${seconds} s: p50 ${med('p50ms')} ms, p99 ${med('p99ms')} ms`,
);
