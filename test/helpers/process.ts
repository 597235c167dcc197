import { resolve } from 'node:path';
import { type Subprocess, spawn } from 'bun';

const ROOT = resolve(import.meta.dir, '../..');
export const CLI = resolve(ROOT, 'src/cli.ts');

/** A runtime the hub's CLI can run on, as the command that runs `src/cli.ts`. */
export interface Runtime {
  name: 'bun' | 'deno';
  /** The command line up to (and including) the CLI script; arguments follow. */
  command: readonly string[];
  /** Extra environment for the child. */
  env: Record<string, string>;
}

export const BUN: Runtime = { name: 'bun', command: ['bun', CLI], env: {} };

/** Deno with the repository's deno.json (import map, node_modules), whatever the working directory. */
export const DENO: Runtime = {
  name: 'deno',
  command: ['deno', 'run', '-A', '--config', resolve(ROOT, 'deno.json'), CLI],
  env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1' },
};

/**
 * The runtimes the end-to-end suite runs the hub on: Bun, and Deno when `deno` is on
 * PATH. `RELAYKIT_E2E_RUNTIMES=bun,deno` (CI) makes a missing runtime an error
 * instead of a smaller suite.
 */
export function availableRuntimes(env: Record<string, string | undefined> = process.env): Runtime[] {
  const required = (env.RELAYKIT_E2E_RUNTIMES ?? '').split(',').filter(Boolean);
  const found = [BUN, ...(Bun.which('deno') ? [DENO] : [])];
  for (const name of required) {
    if (!found.some((r) => r.name === name)) throw new Error(`RELAYKIT_E2E_RUNTIMES wants ${name}, not on PATH`);
  }
  return found;
}

/**
 * A loopback port that was free a moment ago (bind, read, release). Only for a port
 * that nothing should listen on (a refused connection); a hub binds port 0 itself
 * (see `spawnHub`), since another process may take a released port before the hub does.
 */
export function freePort(): number {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

export interface HubProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  port: number;
  /** Everything the hub wrote to stdout and stderr, once it has exited. */
  output(): Promise<string>;
}

/**
 * The port a "relaykit ready" log line names in its `url` field, in either log format
 * (`{"url":"http://127.0.0.1:41234",…}` or `… relaykit ready url=http://127.0.0.1:41234 …`);
 * null when `line` is not that line.
 */
export function readyPort(line: string): number | null {
  if (!line.includes('relaykit ready')) return null;
  let url: string | undefined;
  if (line.trimStart().startsWith('{')) {
    try {
      url = (JSON.parse(line) as { url?: string }).url;
    } catch {
      return null;
    }
  } else {
    url = / url=(\S+)/.exec(line)?.[1];
  }
  const port = url ? Number(new URL(url).port) : Number.NaN;
  return Number.isInteger(port) && port > 0 ? port : null;
}

/** Reads a child's pipe as text all along (a chatty hub never blocks on a full pipe), line by line. */
function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<string> {
  return (async function collect() {
    const decoder = new TextDecoder();
    let text = '';
    let scanned = 0;
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const end = text.lastIndexOf('\n');
      if (end >= scanned) {
        for (const line of text.slice(scanned, end).split('\n')) onLine(line);
        scanned = end + 1;
      }
    }
    return text + decoder.decode();
  })();
}

/**
 * Starts `relaykit start` as a real child process and resolves once it logged
 * "relaykit ready", with the URL that line names. The hub binds port 0 (the system
 * picks a free port at bind time, so nothing can take it first) unless `port` is given:
 * a restarted hub reuses the port its first start got, where its clients expect it.
 * The hub must log at level info (the default), or the ready line never comes.
 */
export async function spawnHub(options: {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  port?: number;
  runtime?: Runtime;
}): Promise<HubProcess> {
  const runtime = options.runtime ?? BUN;
  const proc = spawn([...runtime.command, 'start', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: {
      ...process.env,
      ...runtime.env,
      RELAYKIT_HOST: '127.0.0.1',
      RELAYKIT_PORT: String(options.port ?? 0),
      ...options.env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const ready = await waitForReady(proc, `hub (${runtime.name})`);
  return { proc, ...ready };
}

/**
 * Reads a hub child's stdout and stderr all along (a chatty hub never blocks on a full
 * pipe) and resolves once stdout carries the "relaykit ready" line, with the port it
 * names. Throws with everything the child wrote when it exits first or is late (then
 * it is killed).
 */
export async function waitForReady(
  proc: Subprocess<'ignore', 'pipe', 'pipe'>,
  label: string,
  ms = 30_000,
): Promise<{ url: string; port: number; output(): Promise<string> }> {
  let announced: (port: number) => void = () => {};
  const ready = new Promise<number>((resolve) => {
    announced = resolve;
  });
  const stdout = readLines(proc.stdout, (line) => {
    const port = readyPort(line);
    if (port !== null) announced(port);
  });
  const stderr = new Response(proc.stderr).text();
  const output = async () => (await stdout) + (await stderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready,
    proc.exited.then(() => 'exited' as const),
    new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'exited') throw new Error(`${label} exited with ${proc.exitCode}: ${await output()}`);
  if (outcome === 'late') {
    proc.kill('SIGKILL');
    throw new Error(`${label} logged no "relaykit ready" line in time: ${await output()}`);
  }
  return { url: `http://127.0.0.1:${outcome}`, port: outcome, output };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}, runtime: Runtime = BUN) {
  return runToEnd([...runtime.command, ...args], { cwd, env: { ...runtime.env, ...env } });
}

/**
 * Runs a command to completion and collects its output; killed after `killAfterMs`
 * (a process that would hang then fails its test instead of the test timing out).
 */
export async function runToEnd(
  command: string[],
  options: { cwd?: string; env?: Record<string, string>; killAfterMs?: number } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const proc = spawn(command, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const timer = options.killAfterMs === undefined ? null : setTimeout(() => proc.kill(), options.killAfterMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (timer) clearTimeout(timer);
  return { stdout, stderr, code };
}
