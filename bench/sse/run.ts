/**
 * SSE fan-out benchmark: Relaykit's sse plugin against a bare-Bun anchor in the same
 * run. The server is pinned to core 0 and the load generator to core 1 (taskset);
 * every size runs `--reps` times alternating anchor and Relaykit, and the medians and
 * ratios are printed with the targets:
 *   deliveries/s >= 0.8 x anchor; p99 <= 1.25 x anchor + 5 ms; memory per idle stream <= 2 x anchor;
 *   sequence gaps = 0.
 *
 *   bun bench/sse/run.ts [--sizes 1000,5000] [--messages 200] [--reps 3] [--window 8]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000' },
    messages: { type: 'string', default: '200' },
    reps: { type: 'string', default: '3' },
    window: { type: 'string', default: '8' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const reps = Number(values.reps);
const here = import.meta.dir;

interface Result {
  target: string;
  streams: number;
  delivered: number;
  expected: number;
  gaps: number;
  deliveriesPerSec: number;
  serverCpuUsPerDelivery: number;
  p50Ms: number;
  p99Ms: number;
  memPerStreamBytes: number;
}

/** Starts a server pinned to core 0; resolves with its port and pid once it is ready. */
function startServer(script: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = spawn('taskset', ['-c', '0', 'bun', join(here, script), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (!line) return;
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        port,
        pid: child.pid as number,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

/** Runs the load generator pinned to core 1. */
function runClient(args: string[]): Promise<Result> {
  const child = spawn('taskset', ['-c', '1', 'bun', join(here, 'client.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '1024' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`client exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

async function once(target: 'anchor' | 'relaykit', streams: number): Promise<Result> {
  const server = await startServer(target === 'anchor' ? 'anchor.ts' : 'hub.ts');
  try {
    return await runClient([
      '--target',
      target,
      '--port',
      String(server.port),
      '--pid',
      String(server.pid),
      '--streams',
      String(streams),
      '--messages',
      values.messages,
      '--window',
      values.window,
    ]);
  } finally {
    await server.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const rows: string[] = [];
for (const streams of sizes) {
  const runs: Record<'anchor' | 'relaykit', Result[]> = { anchor: [], relaykit: [] };
  for (let rep = 0; rep < reps; rep++) {
    for (const target of ['anchor', 'relaykit'] as const) {
      const result = await once(target, streams);
      runs[target].push(result);
      console.error(`${streams} streams, run ${rep + 1}/${reps}, ${target}: ${JSON.stringify(result)}`);
    }
  }
  const m = (target: 'anchor' | 'relaykit', key: keyof Result) => median(runs[target].map((r) => Number(r[key])));
  const a = { dps: m('anchor', 'deliveriesPerSec'), p50: m('anchor', 'p50Ms'), p99: m('anchor', 'p99Ms') };
  const r = { dps: m('relaykit', 'deliveriesPerSec'), p50: m('relaykit', 'p50Ms'), p99: m('relaykit', 'p99Ms') };
  const mem = { a: m('anchor', 'memPerStreamBytes'), r: m('relaykit', 'memPerStreamBytes') };
  const cpu = { a: m('anchor', 'serverCpuUsPerDelivery'), r: m('relaykit', 'serverCpuUsPerDelivery') };
  const gaps = { a: Math.max(...runs.anchor.map((x) => x.gaps)), r: Math.max(...runs.relaykit.map((x) => x.gaps)) };
  const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
  rows.push(
    [
      `${streams} SSE streams x ${values.messages} messages (median of ${reps})`,
      `  deliveries/s   anchor ${a.dps}  relaykit ${r.dps}  ratio ${(r.dps / a.dps).toFixed(2)} (>= 0.80: ${ok(r.dps >= 0.8 * a.dps)})`,
      `  latency p50    anchor ${a.p50} ms  relaykit ${r.p50} ms`,
      `  latency p99    anchor ${a.p99} ms  relaykit ${r.p99} ms  ratio ${(r.p99 / a.p99).toFixed(2)} (<= 1.25x + 5 ms: ${ok(r.p99 <= 1.25 * a.p99 + 5)})`,
      `  server CPU     anchor ${cpu.a} us  relaykit ${cpu.r} us per delivery  ratio ${(cpu.r / cpu.a).toFixed(2)} (lower is better; robust to other load)`,
      `  memory/stream  anchor ${mem.a} B  relaykit ${mem.r} B  ratio ${(mem.r / mem.a).toFixed(2)} (<= 2: ${ok(mem.r <= 2 * mem.a)})`,
      `  sequence gaps  anchor ${gaps.a}  relaykit ${gaps.r} (= 0: ${ok(gaps.r === 0)})`,
    ].join('\n'),
  );
}
console.log(`\n${rows.join('\n\n')}\n`);
