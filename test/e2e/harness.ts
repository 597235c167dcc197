/**
 * The end-to-end harness: every test here talks to a hub started as a child process
 * (`relaykit start` on Bun, and on Deno when it is installed) over HTTP and WebSocket
 * only. A test file wraps its cases in `forEachRuntime` and runs them once per runtime.
 */
import { describe } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { availableRuntimes, type HubProcess, type Runtime, spawnHub } from '../helpers/process.ts';

export { waitFor } from '../helpers/hub.ts';

export const RUNTIMES = availableRuntimes();
export const ROOT = resolve(import.meta.dir, '../..');
export const AUDIT_PLUGIN = join(ROOT, 'examples/custom-plugin/audit.ts');
export const PROBE_PLUGIN = join(import.meta.dir, 'fixtures/probe.ts');

/** Registers the cases of `body` once per runtime, in a `describe` named after it. */
export function forEachRuntime(title: string, body: (runtime: Runtime) => void): void {
  for (const runtime of RUNTIMES) describe(`${title} [${runtime.name}]`, () => body(runtime));
}

export interface E2EHub {
  runtime: Runtime;
  url: string;
  dir: string;
  configPath: string;
  dbPath: string;
  process: HubProcess;
  /** fetch relative to the hub, JSON-encoding `json` bodies. */
  request(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Stops the hub (if running) and removes its folder. */
  dispose(): Promise<void>;
}

export interface E2EHubOptions {
  /** YAML for relaykit.config.yaml in the hub's folder. */
  config?: string;
  env?: Record<string, string>;
  /** Reuse the folder (and database) of an earlier hub. */
  dir?: string;
  /** Listen on this port (to restart a hub where its clients expect it). */
  port?: number;
}

/** Starts `relaykit start` with <dir>/relaykit.config.yaml on `runtime` with a SQLite file in `dir`. */
export async function startHub(runtime: Runtime, options: E2EHubOptions = {}): Promise<E2EHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `relaykit-e2e-${runtime.name}-`));
  const configPath = join(dir, 'relaykit.config.yaml');
  if (options.config !== undefined) writeFileSync(configPath, options.config);
  const dbPath = join(dir, 'relaykit.db');
  const hubProcess = await spawnHub({
    cwd: dir,
    runtime,
    // Without a file the hub reads the default path, which is this same file in `dir`.
    args: existsSync(configPath) ? ['--config', configPath] : [],
    ...(options.port ? { port: options.port } : {}),
    env: { RELAYKIT_STORAGE_URL: `sqlite:${dbPath}`, ...options.env },
  });
  let exited: Promise<number> | null = null;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!exited) {
      hubProcess.proc.kill(signal);
      exited = hubProcess.proc.exited;
    }
    return exited;
  };
  return {
    runtime,
    url: hubProcess.url,
    dir,
    configPath,
    dbPath,
    process: hubProcess,
    request(path, init = {}) {
      const { json, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set('content-type', 'application/json');
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${hubProcess.url}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    stop,
    async dispose() {
      if (hubProcess.proc.exitCode === null) {
        const killer = setTimeout(() => hubProcess.proc.kill('SIGKILL'), 10_000);
        await stop();
        clearTimeout(killer);
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts a message and returns the stored one (fails the test on any other status). */
export async function send(
  hub: E2EHub,
  message: Record<string, unknown>,
  token?: string,
): Promise<{ id: number } & Record<string, unknown>> {
  const res = await hub.request('/messages', { method: 'POST', json: message, ...(token ? { token } : {}) });
  if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
  return res.json();
}
