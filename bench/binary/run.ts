/**
 * Cold start of the single binary: process spawn → first 200 from `GET /health/ready`
 * (config defaults, a new SQLite file in an empty folder, every migration, every
 * built-in plugin started), against a bare compiled `Bun.serve` program built with the
 * same flags (first 200 from `GET /`). Both are compiled fresh with `bun run build`'s
 * flags, run from a new empty folder each time and pinned to the server core; this
 * process polls from the load core. Rounds interleave the two.
 *
 * Each round also times `relaykit --version` from spawn to exit against a compiled
 * program that only prints a line (the floor of any compiled command), and prints
 * both ratios next to their targets.
 *
 *   bun bench/binary/run.ts [--rounds 20]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'bun';
import { compile } from '../../scripts/compile.ts';
import { freePort, LOAD_CORE, median, SERVER_CORE } from '../lib/run.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

// Poll from the other core than the servers': re-run this script under taskset once.
if (!process.env.BENCH_PINNED) {
  const self = spawn(['taskset', '-c', LOAD_CORE, 'bun', import.meta.path, ...process.argv.slice(2)], {
    env: { ...process.env, BENCH_PINNED: '1' },
    stdout: 'inherit',
    stderr: 'inherit',
  });
  process.exit(await self.exited);
}

const ROOT = resolve(import.meta.dir, '../..');
const work = mkdtempSync(join(tmpdir(), 'relaykit-bench-binary-'));

interface Target {
  name: string;
  binary: string;
  path: string;
  env(port: number): Record<string, string>;
}

/** Cold-start target: the hub's first 200 within this multiple of the anchor's. */
const START_TARGET = 4;
/** `relaykit --version` target, spawn to exit. */
const VERSION_TARGET_MS = 20;

/** Milliseconds from spawn to exit of `binary ...args` (for `--version`: loading the binary and what it evaluates). */
async function timeToExit(binary: string, args: string[], dir: string): Promise<number> {
  const started = performance.now();
  const proc = spawn(['taskset', '-c', SERVER_CORE, binary, ...args], { cwd: dir, stdout: 'ignore' });
  if ((await proc.exited) !== 0) throw new Error(`${binary} ${args.join(' ')} failed`);
  return performance.now() - started;
}

interface Sample {
  /** Wall clock, spawn to the first 200. */
  ms: number;
  /** CPU time (user + system) the process used over its whole life, shutdown included: less sensitive to load. */
  cpuMs: number;
}

/** Spawns `target` in a new empty folder, polls `path` until it answers 200, then sends SIGTERM. */
async function coldStart(target: Target, round: number): Promise<Sample> {
  const dir = join(work, `${target.name}-${round}`);
  mkdirSync(dir);
  const port = freePort();
  const url = `http://127.0.0.1:${port}${target.path}`;
  const started = performance.now();
  const proc = spawn(['taskset', '-c', SERVER_CORE, target.binary], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...target.env(port) },
    stdout: 'ignore',
    stderr: 'inherit',
  });
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (proc.exitCode !== null) throw new Error(`${target.name} exited with ${proc.exitCode}`);
    if (performance.now() - started > 20_000) throw new Error(`${target.name} did not answer in 20 s`);
  }
  const ms = performance.now() - started;
  proc.kill('SIGTERM');
  if ((await proc.exited) !== 0) throw new Error(`${target.name} did not exit cleanly`);
  const cpu = proc.resourceUsage()?.cpuTime;
  return { ms, cpuMs: cpu ? Number(cpu.total) / 1000 : Number.NaN };
}

try {
  const hubBinary = join(work, 'relaykit');
  const anchorBinary = join(work, 'anchor');
  const printBinary = join(work, 'print');
  await compile(join(ROOT, 'src/cli.ts'), hubBinary);
  await compile(join(import.meta.dir, 'anchor.ts'), anchorBinary);
  await compile(join(import.meta.dir, 'print.ts'), printBinary);
  const targets: Target[] = [
    { name: 'anchor', binary: anchorBinary, path: '/', env: (port) => ({ PORT: String(port) }) },
    {
      name: 'relaykit',
      binary: hubBinary,
      path: '/health/ready',
      env: (port) => ({ RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: String(port) }),
    },
  ];
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  const version: number[] = [];
  const printFloor: number[] = [];
  // One untimed start each: the first exec of a fresh 110 MB file pays for the page cache.
  for (const target of targets) await coldStart(target, 0);
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) samples.get(target.name)?.push(await coldStart(target, round));
    version.push(await timeToExit(hubBinary, ['--version'], work));
    printFloor.push(await timeToExit(printBinary, ['0.0.0'], work));
  }
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`.padStart(9);
  const stats = (name: string) => {
    const list = samples.get(name) ?? [];
    const wall = list.map((s) => s.ms);
    return {
      wall: median(wall),
      min: Math.min(...wall),
      max: Math.max(...wall),
      cpu: median(list.map((s) => s.cpuMs)),
    };
  };
  console.log(`cold start, ${rounds} rounds, medians: wall clock spawn -> first 200 (min / max), process CPU time`);
  for (const target of targets) {
    const s = stats(target.name);
    console.log(`  ${target.name.padEnd(9)} ${fmt(s.wall)}  (${fmt(s.min)} / ${fmt(s.max)})  cpu ${fmt(s.cpu)}`);
  }
  const anchor = stats('anchor');
  const hub = stats('relaykit');
  console.log(
    `  ratio     ${(hub.wall / anchor.wall).toFixed(2)}x wall, ${(hub.cpu / anchor.cpu).toFixed(2)}x cpu  (target <= ${START_TARGET}x wall)`,
  );
  const versionMs = median(version);
  const printMs = median(printFloor);
  console.log('--version, spawn to exit, medians');
  console.log(`  relaykit --version        ${fmt(versionMs)}  (target <= ${VERSION_TARGET_MS} ms)`);
  console.log(`  anchor (prints and exits) ${fmt(printMs)}`);
  console.log(`  ratio     ${(versionMs / printMs).toFixed(2)}x`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
