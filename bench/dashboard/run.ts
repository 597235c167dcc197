/**
 * What the dashboard plugin adds to the hub's cold start: the single binary started
 * with `plugins.dashboard.enabled: true` against `false` (every other plugin on in
 * both), spawn → first 200 from `GET /health/ready`, in a new empty folder each time,
 * pinned to the server core while this process polls from the load core. Rounds
 * interleave the two; medians with min / max, and the ratio against the budget
 * (within 5%). Also times the first `GET /dashboard` after ready (the embedded assets
 * are decoded on that request, never at start).
 *
 *   bun bench/dashboard/run.ts [--rounds 20]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { compile } from '../../scripts/compile.ts';
import { freePort, LOAD_CORE, median, SERVER_CORE } from '../lib/run.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

if (!process.env.BENCH_PINNED) {
  const self = spawn(['taskset', '-c', LOAD_CORE, 'bun', import.meta.path, ...process.argv.slice(2)], {
    env: { ...process.env, BENCH_PINNED: '1' },
    stdout: 'inherit',
    stderr: 'inherit',
  });
  process.exit(await self.exited);
}

const ROOT = resolve(import.meta.dir, '../..');
/** The budget: the dashboard costs at most 5% of the cold start. */
const BUDGET = 1.05;
const work = mkdtempSync(join(tmpdir(), 'relaykit-bench-dashboard-'));

interface Sample {
  /** Spawn to the first 200 from /health/ready. */
  ready: number;
  /** Ready to the first 200 from /dashboard (NaN when the dashboard is off). */
  page: number;
}

async function firstOk(url: string, started: number, proc: { exitCode: number | null }): Promise<number> {
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return performance.now() - started;
    if (proc.exitCode !== null) throw new Error(`the hub exited with ${proc.exitCode}`);
    if (performance.now() - started > 20_000) throw new Error(`${url} did not answer in 20 s`);
  }
}

async function coldStart(binary: string, dashboard: boolean, round: number): Promise<Sample> {
  const dir = join(work, `${dashboard ? 'on' : 'off'}-${round}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'relaykit.config.yaml'), `plugins:\n  dashboard:\n    enabled: ${dashboard}\n`);
  const port = freePort();
  const started = performance.now();
  const proc = spawn(['taskset', '-c', SERVER_CORE, binary, 'start'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: String(port) },
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const ready = await firstOk(`http://127.0.0.1:${port}/health/ready`, started, proc);
  const page = dashboard ? await firstOk(`http://127.0.0.1:${port}/dashboard`, performance.now(), proc) : Number.NaN;
  proc.kill('SIGTERM');
  if ((await proc.exited) !== 0) throw new Error('the hub did not exit cleanly');
  return { ready, page };
}

try {
  const binary = join(work, 'relaykit');
  await compile(join(ROOT, 'src/cli.ts'), binary);
  const on: Sample[] = [];
  const off: Sample[] = [];
  // One untimed start each: the first exec of a fresh binary pays for the page cache.
  await coldStart(binary, true, 0);
  await coldStart(binary, false, 0);
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so drift in machine load hits both alike.
    if (round % 2) {
      on.push(await coldStart(binary, true, round));
      off.push(await coldStart(binary, false, round));
    } else {
      off.push(await coldStart(binary, false, round));
      on.push(await coldStart(binary, true, round));
    }
  }
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(9);
  const line = (name: string, list: number[]) =>
    console.log(`  ${name.padEnd(14)} ${fmt(median(list))}  (${fmt(Math.min(...list))} / ${fmt(Math.max(...list))})`);
  console.log(`cold start, ${rounds} interleaved rounds, medians (min / max): spawn -> first 200 from /health/ready`);
  line(
    'dashboard on',
    on.map((s) => s.ready),
  );
  line(
    'dashboard off',
    off.map((s) => s.ready),
  );
  const ratio = median(on.map((s) => s.ready)) / median(off.map((s) => s.ready));
  console.log(`  ratio          ${ratio.toFixed(3)}x  (budget <= ${BUDGET}x)`);
  line(
    'first /dashboard',
    on.map((s) => s.page),
  );
  if (ratio > BUDGET) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
