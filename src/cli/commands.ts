import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinPlugins } from '../../plugins/index.ts';
import { checkConfigFile, loadConfig, locateConfig, schemaFor } from '../config/load.ts';
import type { HubConfig } from '../config/schema.ts';
import { DEFAULT_URL, formatStatus, publish, type Remote, status } from './remote.ts';
import { follow, parseSince } from './stream.ts';
import { envValue, UsageError } from './usage.ts';

/** The commands that work on a config or talk to a running hub, beside `start`. */
export const CLIENT_COMMANDS = ['token', 'publish', 'subscribe', 'tail', 'status'] as const;

type Env = Record<string, string | undefined>;
type Out = { stdout: (text: string) => void; stderr: (text: string) => void };

const remoteOptions = { url: { type: 'string' }, token: { type: 'string' } } as const;

function remoteFrom(values: { url?: string; token?: string }, env: Env): Remote {
  const url = values.url ?? envValue(env, 'RELAYKIT_URL') ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url: expected http://host:port, got "${url}"`, 2);
  const token = values.token ?? envValue(env, 'RELAYKIT_TOKEN');
  return { url: url.replace(/\/+$/, ''), ...(token ? { token } : {}) };
}

async function hubConfig(config: string | undefined, env: Env): Promise<HubConfig> {
  const location = locateConfig(config, env);
  checkConfigFile(location);
  const { path } = location;
  return (await loadConfig(path, env, new Map(builtinPlugins.map((p) => [p.name, p])))).config;
}

/** Runs `config init`; returns the exit code. */
export async function configInit(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' } } });
  // The YAML writer loads for this command only: `relaykit start` without a config file never reads YAML.
  const { initialConfig } = await import('./config-init.ts');
  const text = initialConfig(schemaFor(new Map(builtinPlugins.map((p) => [p.name, p]))));
  const file = positionals[0] ?? 'relaykit.config.yaml';
  if (file === '-') {
    out.stdout(text);
    return 0;
  }
  const path = resolve(file);
  if (existsSync(path) && !values.force) throw new UsageError(`${path} exists; pass --force to replace it`);
  writeFileSync(path, text);
  out.stdout(`wrote ${path}`);
  return 0;
}

/** Runs one of CLIENT_COMMANDS with its own options; returns the exit code. */
export async function runClientCommand(command: string, args: string[], env: Env, out: Out): Promise<number> {
  switch (command) {
    case 'token': {
      const { values } = parseArgs({
        args,
        options: {
          config: { type: 'string', short: 'c' },
          sub: { type: 'string' },
          channels: { type: 'string', multiple: true },
          publish: { type: 'string', multiple: true },
          system: { type: 'boolean' },
          ttl: { type: 'string' },
          key: { type: 'string' },
          check: { type: 'string' },
        },
      });
      const config = await hubConfig(values.config, env);
      // jose loads for this command (and in the hub, with the first JWT to verify).
      const { checkToken, mintToken } = await import('./token.ts');
      if (values.check !== undefined) {
        out.stdout(JSON.stringify(await checkToken(config, values.check), null, 2));
        return 0;
      }
      const list = (v: string[] | undefined) => (v ?? []).flatMap((s) => s.split(',')).filter(Boolean);
      out.stdout(
        await mintToken(config, {
          sub: values.sub,
          channels: list(values.channels),
          publish: list(values.publish),
          system: Boolean(values.system),
          ttl: values.ttl ?? '1h',
          keyFile: values.key,
        }),
      );
      return 0;
    }
    case 'publish': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...remoteOptions,
          channel: { type: 'string' },
          to: { type: 'string' },
          from: { type: 'string' },
          type: { type: 'string' },
          ttl: { type: 'string' },
        },
      });
      if (!values.type) throw new UsageError('publish needs --type', 2);
      if (positionals.length !== 1) throw new UsageError('publish takes one JSON payload argument', 2);
      const stored = await publish(remoteFrom(values, env), {
        type: values.type,
        payload: positionals[0],
        channel: values.channel,
        to: values.to,
        from: values.from,
        ttl: values.ttl,
      });
      out.stdout(JSON.stringify(stored));
      return 0;
    }
    case 'subscribe':
    case 'tail': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...remoteOptions, since: { type: 'string' }, count: { type: 'string' } },
      });
      const channels = positionals.length ? positionals : command === 'tail' ? ['*'] : [];
      if (!channels.length) throw new UsageError('subscribe needs at least one channel', 2);
      const count = values.count === undefined ? undefined : Number(values.count);
      if (count !== undefined && !(Number.isInteger(count) && count > 0))
        throw new UsageError(`--count: expected a positive integer, got "${values.count}"`, 2);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await follow(remoteFrom(values, env), {
          channels,
          since: parseSince(values.since),
          count,
          write: out.stdout,
          note: (line) => out.stderr(`relaykit: ${line}`),
          signal: abort.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      return 0;
    }
    case 'status': {
      const { values } = parseArgs({ args, options: { ...remoteOptions, json: { type: 'boolean' } } });
      const result = await status(remoteFrom(values, env));
      out.stdout(values.json ? JSON.stringify(result, null, 2) : formatStatus(result));
      return result.health && result.health.status === 'fail' ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`, 2);
  }
}
