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

/** A free loopback port (bind, read, release). */
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

/** Starts `relaykit start` as a real child process and waits until it answers. */
export async function spawnHub(options: {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  port?: number;
  runtime?: Runtime;
}): Promise<HubProcess> {
  const runtime = options.runtime ?? BUN;
  const port = options.port ?? freePort();
  const proc = spawn([...runtime.command, 'start', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: {
      ...process.env,
      ...runtime.env,
      RELAYKIT_HOST: '127.0.0.1',
      RELAYKIT_PORT: String(port),
      ...options.env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  // Read the pipes all along so a chatty hub never blocks on a full pipe.
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`hub (${runtime.name}) exited with ${proc.exitCode}: ${await stderr}`);
    }
    try {
      const res = await fetch(`${url}/messages?limit=1`);
      await res.arrayBuffer();
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`hub (${runtime.name}) did not start in time: ${await stderr}`);
    }
    await Bun.sleep(50);
  }
  return { proc, url, port, output: async () => (await stdout) + (await stderr) };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}, runtime: Runtime = BUN) {
  const proc = spawn([...runtime.command, ...args], {
    cwd,
    env: { ...process.env, ...runtime.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}
