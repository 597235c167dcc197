/**
 * Shared benchmark plumbing: pin processes to cores, run wrk, take medians.
 * The machine has 2 cores: servers run on core 0, load generators on core 1.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subprocess, spawn } from 'bun';

export const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? '0';
export const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '1';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function freePort(): number {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** Starts a command pinned to the server core and waits until `readyUrl` answers. */
export async function startServer(cmd: string[], env: Record<string, string>, readyUrl: string): Promise<Subprocess> {
  const proc = spawn(['taskset', '-c', SERVER_CORE, ...cmd], {
    env: { ...process.env, ...env },
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${cmd.join(' ')} exited with ${proc.exitCode}`);
    if (
      await fetch(readyUrl).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return proc;
    if (Date.now() > deadline) throw new Error(`${cmd.join(' ')} did not start`);
    await Bun.sleep(50);
  }
}

export async function stopServer(proc: Subprocess): Promise<void> {
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await proc.exited;
  clearTimeout(timer);
}

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

/** Runs wrk pinned to the load core; `script` is a Lua file (for POST bodies). */
export async function wrk(
  url: string,
  opts: { seconds: number; connections: number; script?: string },
): Promise<WrkResult> {
  const args = ['taskset', '-c', LOAD_CORE, 'wrk', '-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency'];
  if (opts.script) args.push('-s', opts.script);
  args.push(url);
  const proc = spawn(args, { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const pct = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+\\w+)`).exec(out)?.[1] ?? '0ms');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  if (!rps) throw new Error(`wrk printed no result:\n${out}`);
  return { rps, p50ms: pct('50'), p99ms: pct('99'), errors };
}

function toMs(value: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(value);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export function hasCommand(name: string): boolean {
  return Bun.spawnSync(['sh', '-c', `command -v ${name}`]).exitCode === 0;
}

/**
 * A source tree of the hub at `ref` (a commit, tag or branch of this repository) in a
 * temporary folder, sharing this checkout's node_modules: benchmarks run it as one more
 * target, so "did this change cost anything" is answered in the same run.
 * `limits` says whether that version knows the `limits:` config section.
 */
export function checkoutBaseline(ref: string): { root: string; limits: boolean; remove(): void } {
  const repo = new URL('../..', import.meta.url).pathname;
  const root = mkdtempSync(join(tmpdir(), 'relaykit-baseline-'));
  const archive = Bun.spawnSync(['sh', '-c', `git -C "${repo}" archive "${ref}" | tar -x -C "${root}"`]);
  if (archive.exitCode !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`cannot check out ${ref}: ${archive.stderr.toString().trim()}`);
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  const limits = readFileSync(join(root, 'src/config/schema.ts'), 'utf8').includes('messagesPerSecond');
  return { root, limits, remove: () => rmSync(root, { recursive: true, force: true }) };
}
