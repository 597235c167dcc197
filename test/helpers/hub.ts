import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from '../../plugins/index.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import { Hub } from '../../src/kernel/hub.ts';
import { type Logger, silentLogger } from '../../src/kernel/logger.ts';
import type { PluginDefinition } from '../../src/kernel/plugin.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';
import type { RuntimeAdapter } from '../../src/runtime/types.ts';

export interface TestHubOptions {
  /** Plugins the hub knows (default: every built-in). */
  plugins?: readonly PluginDefinition[];
  /** YAML written to relaykit.config.yaml in the hub's folder. */
  configYaml?: string;
  /** Raw config merged over the file. */
  overrides?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Reuse a folder (and so its database) from an earlier hub. */
  dir?: string;
  /** Where the hub logs (default: nowhere). */
  logger?: Logger;
  /** The runtime adapter (default: Bun's). */
  runtime?: RuntimeAdapter;
}

export interface TestHub {
  hub: Hub;
  url: string;
  dir: string;
  configPath: string;
  dbPath: string;
  /** fetch relative to the hub, JSON-encoding `json` bodies. */
  request(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  /** Stops the hub; with `keep`, leaves its folder (to start another hub on the same database). */
  stop(keep?: boolean): Promise<void>;
}

/** Starts a real hub on an ephemeral loopback port with a SQLite file in a fresh folder. */
export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'relaykit-test-'));
  const configPath = join(dir, 'relaykit.config.yaml');
  if (options.configYaml !== undefined) writeFileSync(configPath, options.configYaml);
  const dbPath = join(dir, 'relaykit.db');
  const hub = await Hub.start({
    plugins: options.plugins ?? builtinPlugins,
    configPath,
    env: options.env ?? {},
    overrides: mergeOverrides(
      { server: { host: '127.0.0.1', port: 0 }, storage: { url: `sqlite:${dbPath}` } },
      options.overrides ?? {},
    ),
    runtime: options.runtime ?? bunRuntime,
    clock: options.clock,
    logger: options.logger ?? silentLogger,
  });
  const url = hub.url;
  return {
    hub,
    url,
    dir,
    configPath,
    dbPath,
    request(path, init = {}) {
      const { json, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set('content-type', 'application/json');
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${url}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    async stop(keep = false) {
      await hub.stop();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mergeOverrides(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? mergeOverrides(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
