import { resolve } from 'node:path';
import { type Subprocess, spawn } from 'bun';

export const CLI = resolve(import.meta.dir, '../../src/cli.ts');

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
  output(): Promise<string>;
}

/** Starts `relaykit start` as a real child process and waits until it answers. */
export async function spawnHub(options: {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  port?: number;
}): Promise<HubProcess> {
  const port = options.port ?? freePort();
  const proc = spawn(['bun', CLI, 'start', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: String(port), ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`hub exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
    }
    try {
      const res = await fetch(`${url}/messages?limit=1`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('hub did not start in time');
    await Bun.sleep(50);
  }
  return {
    proc,
    url,
    output: async () => (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text()),
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const proc = spawn(['bun', CLI, ...args], { cwd, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}
