/**
 * A short CPU profile of the webhooks worker draining its outbox, for finding where a
 * delivery's CPU goes (not a benchmark: sample shares, no rates). A hub with the worker
 * off takes `--deliveries` messages for one endpoint, stops; a second hub on the same
 * database starts under `bun --cpu-prof`, has its worker turned on through the admin
 * API, drains the outbox to the receiver (a separate process answering 204) and stops.
 * The summary counts only the samples from the first attempt to the last, and the
 * hub's CPU time per delivery over the drain (from /proc, the profiler's cost included).
 * `--root` runs the hub of another checkout (a baseline) with this script.
 *
 *   bun bench/webhooks/profile.ts [--deliveries 20000] [--concurrency 64] [--interval 250] [--keep dir] [--root dir]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { freePort, startServer, stopServer } from '../lib/run.ts';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    interval: { type: 'string', default: '250' },
    keep: { type: 'string' },
    root: { type: 'string' },
  },
});
const deliveries = Number(values.deliveries);
const concurrency = Number(values.concurrency);
const ROOT = resolve(values.root ?? resolve(import.meta.dir, '../..'));
const ADMIN = 'profile-admin-token';

const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'relaykit-profile-webhooks-'));
const receiverPort = freePort();
const receiverUrl = `http://127.0.0.1:${receiverPort}`;
const receiver = spawn(['bun', join(import.meta.dir, 'receiver.ts')], {
  env: { ...process.env, PORT: String(receiverPort) },
  stdout: 'ignore',
  stderr: 'inherit',
});

async function post(url: string, path: string, body: unknown, method = 'POST'): Promise<Response> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function count(): Promise<number> {
  return ((await (await fetch(`${receiverUrl}/stats`)).json()) as { count: number }).count;
}

/** The hub's config: the worker starts off (the drain starts when the admin API turns it on). */
function hubConfig(): string {
  const path = join(dir, 'relaykit.yaml');
  writeFileSync(
    path,
    `log:\n  level: warn\nwatch: false\nplugins:\n  webhooks:\n    security:\n      allowNetworks: ['127.0.0.0/8']\n    worker:\n      enabled: false\n      concurrency: ${concurrency}\n      perEndpointConcurrency: ${concurrency}\n`,
  );
  return path;
}

const env = (port: number) => ({
  RELAYKIT_PORT: String(port),
  RELAYKIT_HOST: '127.0.0.1',
  RELAYKIT_STORAGE_URL: `sqlite:${join(dir, 'hub.db')}`,
  RELAYKIT_ADMIN_TOKEN: ADMIN,
});

try {
  while (
    !(await fetch(`${receiverUrl}/stats`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await Bun.sleep(50);

  // Fill the outbox with the worker off.
  let port = freePort();
  let url = `http://127.0.0.1:${port}`;
  const filler = await startServer(
    ['bun', join(ROOT, 'src/cli.ts'), 'start', '--config', hubConfig()],
    env(port),
    `${url}/messages?limit=1`,
  );
  await post(url, '/webhooks/endpoints', { url: `${receiverUrl}/bulk`, events: ['message.sent'], channels: ['bulk'] });
  let sent = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (sent < deliveries) {
        const n = sent++;
        await post(url, '/messages', { channel: 'bulk', type: 'bench.tick', payload: { n, note: 'benchmark' } });
      }
    }),
  );
  await stopServer(filler);

  // Drain it under the profiler.
  port = freePort();
  url = `http://127.0.0.1:${port}`;
  const hub = await startServer(
    [
      'bun',
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-interval=${values.interval}`,
      join(ROOT, 'src/cli.ts'),
      'start',
      '--config',
      hubConfig(),
    ],
    env(port),
    `${url}/messages?limit=1`,
  );
  const cpuBefore = cpuUs(hub.pid);
  await post(url, '/admin/plugins/webhooks', { options: { worker: { enabled: true } } }, 'PATCH');
  const deadline = Date.now() + 60_000;
  while ((await count()) < deliveries && Date.now() < deadline) await Bun.sleep(25);
  const cpuPerDelivery = (cpuUs(hub.pid) - cpuBefore) / deliveries;
  await stopServer(hub);
  const profile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!profile) throw new Error(`no profile written in ${dir}`);
  console.log(`${await count()} of ${deliveries} delivered; profile ${join(dir, profile)}`);
  console.log(`hub CPU per delivery over the drain: ${cpuPerDelivery.toFixed(1)} µs (profiling included)`);
  summarize(JSON.parse(readFileSync(join(dir, profile), 'utf8')));
} finally {
  receiver.kill();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

/** CPU time a process has used so far (user + system), in microseconds, from /proc. */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * Shares of the drain window's samples: inclusive (a frame anywhere on the stack) for
 * the worker's own steps, then the heaviest self times.
 */
function summarize(p: { nodes: ProfileNode[]; samples: number[] }): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => {
    const file = n.callFrame.url.split('/').slice(-2).join('/');
    return `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
  };
  const stacks = p.samples.map((id) => {
    const frames: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      frames.push(byId.get(at) as ProfileNode);
    return frames;
  });
  const isAttempt = (s: ProfileNode[]) => s.some((f) => f.callFrame.url.endsWith('webhooks/sender.ts'));
  const first = stacks.findIndex(isAttempt);
  const last = stacks.findLastIndex(isAttempt);
  const window = stacks.slice(first, last + 1);
  const busy = window.filter(
    (s) => !['(idle)', '(program)', '(garbage collector)'].includes(s[0].callFrame.functionName),
  );
  const gc = window.filter((s) => s[0].callFrame.functionName === '(garbage collector)').length;
  const pct = (n: number) => `${((100 * n) / busy.length).toFixed(1)}%`;
  console.log(`drain window: ${window.length} samples, ${busy.length} busy, ${gc} GC`);
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  for (const s of busy) {
    self.set(name(s[0]), (self.get(name(s[0])) ?? 0) + 1);
    for (const f of new Set(s.map(name))) inclusive.set(f, (inclusive.get(f) ?? 0) + 1);
  }
  const ours = [...inclusive].filter(([n]) => /webhooks\/|storage\/|kernel\/metrics/.test(n) || /^fetch /.test(n));
  console.log('\ninclusive (Relaykit frames, share of busy samples):');
  for (const [n, c] of ours.sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${pct(c).padStart(6)}  ${n}`);
  console.log('\nself:');
  for (const [n, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${pct(c).padStart(6)}  ${n}`);
}
