/**
 * bench/ttl: the sweeper deleting 1M expired messages among 1.1M, against a raw
 * chunked DELETE with bun:sqlite on the same schema and pragmas, in one run.
 *
 * Per round, each on a fresh copy of the same seeded database, server on core 0:
 *   1. anchor       raw `DELETE ... WHERE rowid IN (SELECT rowid ... LIMIT n)` loop;
 *   2. sweep        the hub's sweeper alone: total time and worst event-loop stall
 *                   (a 5 ms timer inside the hub process);
 *   3. under load   POST /messages p99 with wrk (core 1) before the sweep (baseline)
 *                   and while the sweeper runs.
 *
 *   bun bench/ttl/run.ts [--rounds 2] [--expired 1000000] [--live 100000]
 *                        [--seconds 5] [--connections 32] [--chunk 1000]
 *                        [--ttl '{"sweeper":{"batchSize":500}}']   (ttl options for the hub)
 *                        [--dir /dev/shm]   (where the databases go; tmpfs takes fsync out of the picture)
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { freePort, hasCommand, median, SERVER_CORE, startServer, stopServer, wrk } from '../lib/run.ts';
import { seedDatabase } from './seed.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    expired: { type: 'string', default: '1000000' },
    live: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    chunk: { type: 'string', default: '1000' },
    ttl: { type: 'string', default: '{}' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const rounds = Number(values.rounds);
const expired = Number(values.expired);
const live = Number(values.live);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const chunk = Number(values.chunk);
if (!hasCommand('wrk') || !hasCommand('taskset')) {
  console.error('bench/ttl needs wrk and taskset: apt-get install -y wrk util-linux');
  process.exit(1);
}

const dir = mkdtempSync(join(values.dir, 'relaykit-bench-ttl-'));
const seed = join(dir, 'seed.db');
const POST_SCRIPT = join(import.meta.dir, '../http/post.lua');

interface HubReport {
  expired: number;
  events: number;
  sweepMs: number | null;
  worstStallMs: number;
  /** The worst stall less the time the hub's thread waited for a CPU (Linux only; else the stall). */
  worstOwnStallMs: number;
  batchesOver50ms: number;
}

function freshCopy(name: string): string {
  const path = join(dir, name);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  copyFileSync(seed, path);
  return path;
}

async function runAnchor(): Promise<{ deleted: number; totalMs: number; worstBatchMs: number }> {
  const db = freshCopy('anchor.db');
  const proc = spawn(['taskset', '-c', SERVER_CORE, 'bun', join(import.meta.dir, 'anchor.ts'), db, String(chunk)], {
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out);
}

async function withHub<T>(fn: (base: string) => Promise<T>): Promise<T> {
  const db = freshCopy('hub.db');
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = await startServer(
    ['bun', join(import.meta.dir, 'hub.ts')],
    { PORT: String(port), DB_PATH: db, TTL_OPTIONS: values.ttl },
    `${base}/bench/ttl`,
  );
  try {
    return await fn(base);
  } finally {
    await stopServer(proc);
  }
}

async function report(base: string): Promise<HubReport> {
  return (await fetch(`${base}/bench/ttl`)).json() as Promise<HubReport>;
}

async function sweepDone(base: string): Promise<HubReport> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const r = await report(base);
    if (r.expired >= expired) return r;
    if (Date.now() > deadline) throw new Error(`the sweep did not finish: ${JSON.stringify(r)}`);
    await Bun.sleep(100);
  }
}

const startSweep = (base: string) => fetch(`${base}/bench/ttl/start`, { method: 'POST' });

console.log(`seeding ${expired + live} messages (${expired} expired) ...`);
const t0 = performance.now();
seedDatabase(seed, { expired, live });
console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const rows: {
  anchorMs: number;
  anchorWorstBatchMs: number;
  sweepMs: number;
  sweepStallMs: number;
  sweepOwnStallMs: number;
  baseP99: number;
  loadP99: number;
  loadSweepMs: number;
  loadStallMs: number;
  baseStallMs: number;
}[] = [];

for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so neither always meets a warmer or busier machine.
  const sweepAlone = () =>
    withHub(async (base) => {
      await startSweep(base);
      return sweepDone(base);
    });
  let anchor: Awaited<ReturnType<typeof runAnchor>>;
  let sweep: HubReport;
  if (round % 2) {
    anchor = await runAnchor();
    sweep = await sweepAlone();
  } else {
    sweep = await sweepAlone();
    anchor = await runAnchor();
  }
  if (anchor.deleted !== expired) throw new Error(`the anchor deleted ${anchor.deleted} rows, not ${expired}`);

  const load = await withHub(async (base) => {
    await wrk(`${base}/messages`, { seconds: 1, connections, script: POST_SCRIPT }); // warm-up
    await fetch(`${base}/bench/ttl/reset`, { method: 'POST' });
    const baseline = await wrk(`${base}/messages`, { seconds, connections, script: POST_SCRIPT });
    const baselineStallMs = (await report(base)).worstStallMs;
    // Keep the measured window inside the sweep.
    const during = Math.max(1, Math.min(seconds, Math.floor(((sweep.sweepMs ?? 0) * 0.7) / 1000)));
    await startSweep(base);
    const loaded = await wrk(`${base}/messages`, { seconds: during, connections, script: POST_SCRIPT });
    const done = await sweepDone(base);
    return { baseline, baselineStallMs, loaded, done, during };
  });

  const row = {
    anchorMs: anchor.totalMs,
    anchorWorstBatchMs: anchor.worstBatchMs,
    sweepMs: sweep.sweepMs ?? Number.NaN,
    sweepStallMs: sweep.worstStallMs,
    sweepOwnStallMs: sweep.worstOwnStallMs,
    baseP99: load.baseline.p99ms,
    loadP99: load.loaded.p99ms,
    loadSweepMs: load.done.sweepMs ?? Number.NaN,
    loadStallMs: load.done.worstStallMs,
    baseStallMs: load.baselineStallMs,
  };
  rows.push(row);
  console.log(
    `round ${round}: anchor ${(row.anchorMs / 1000).toFixed(2)} s (worst batch ${row.anchorWorstBatchMs.toFixed(1)} ms) | ` +
      `sweep ${(row.sweepMs / 1000).toFixed(2)} s, ${sweep.events} batches (${sweep.batchesOver50ms} over 50 ms), worst stall ${row.sweepStallMs.toFixed(1)} ms (${row.sweepOwnStallMs.toFixed(1)} ms less CPU wait) | ` +
      `POST p99 ${row.baseP99.toFixed(2)} ms → ${row.loadP99.toFixed(2)} ms during the sweep (${load.during} s window, ` +
      `${load.baseline.rps.toFixed(0)} → ${load.loaded.rps.toFixed(0)} req/s; worst stall ${row.baseStallMs.toFixed(1)} → ${row.loadStallMs.toFixed(1)} ms; sweep under load ${(row.loadSweepMs / 1000).toFixed(2)} s)`,
  );
}
rmSync(dir, { recursive: true, force: true });

const med = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
const worst = (k: keyof (typeof rows)[number]) => Math.max(...rows.map((r) => r[k]));
console.log(`\nmedians of ${rounds} rounds (${expired} expired among ${expired + live}, chunks of ${chunk}):`);
console.log(`sweep / anchor                = ${(med('sweepMs') / med('anchorMs')).toFixed(2)}  (target <= 1.5)`);
console.log(
  `anchor worst batch            = ${worst('anchorWorstBatchMs').toFixed(1)} ms (the same deletes with no yields: a floor for the stall)`,
);
console.log(
  `worst event-loop stall        = ${worst('sweepStallMs').toFixed(1)} ms sweeping alone (target <= 50 ms; median of rounds ${med('sweepStallMs').toFixed(1)} ms); under POST load ${worst('loadStallMs').toFixed(1)} ms vs ${worst('baseStallMs').toFixed(1)} ms without a sweep (worst of all rounds)`,
);
console.log(
  `  less run-queue wait          = ${worst('sweepOwnStallMs').toFixed(1)} ms (median of rounds ${med('sweepOwnStallMs').toFixed(1)} ms): what the hub held the loop for, without the time a busy machine kept its thread off the CPU`,
);
console.log(`POST p99 during / baseline    = ${(med('loadP99') / med('baseP99')).toFixed(2)}  (target <= 2)`);
