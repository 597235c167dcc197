import { parseArgs } from 'node:util';
import { builtinPlugins } from '../../plugins/index.ts';
import { ConfigError, checkConfigFile, loadConfig, locateConfig, schemaFor } from '../config/load.ts';
import { publishedSchema } from '../config/schema.ts';
import { Hub } from '../kernel/hub.ts';
import { silentLogger } from '../kernel/logger.ts';
import { StartupError } from '../kernel/startup.ts';
import { detectRuntime } from '../runtime/index.ts';
import type { RuntimeAdapter } from '../runtime/types.ts';
import { openStorage } from '../storage/open.ts';
import { StorageError } from '../storage/postgres/errors.ts';
import { VERSION } from '../version.ts';
import { CLIENT_COMMANDS, configInit, runClientCommand } from './commands.ts';
import { HELP } from './help.ts';
import { UsageError } from './usage.ts';

const console_ = {
  stdout: (text: string) => console.log(text),
  stderr: (text: string) => console.error(text),
};

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [first, second] = argv;
  const client = (CLIENT_COMMANDS as readonly string[]).includes(first ?? '');
  if (client || (first === 'config' && second === 'init')) {
    try {
      return client
        ? await runClientCommand(first, argv.slice(1), env, console_)
        : await configInit(argv.slice(2), console_);
    } catch (err) {
      return failed(err);
    }
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`relaykit: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return print(HELP);
  if (values.version) return print(VERSION);
  const [command = 'start', sub, file] = positionals;
  try {
    switch (command) {
      case 'start':
        return await start(values.config, env);
      case 'migrate':
        return await runMigrate(values.config, env);
      case 'openapi':
        return await printOpenApi(env);
      case 'asyncapi':
        return print(JSON.stringify(withHost(await servedDocument('/asyncapi.json', env), 'localhost:3000'), null, 2));
      case 'config':
        if (sub === 'check') return await check(file ?? values.config, env);
        if (sub === 'schema')
          return print(
            JSON.stringify(publishedSchema(schemaFor(new Map(builtinPlugins.map((p) => [p.name, p])))), null, 2),
          );
        console.error(`relaykit: unknown config command "${sub ?? ''}" (use init, check or schema)`);
        return 2;
      default:
        console.error(`relaykit: unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    return failed(err);
  }
}

/** Problems the operator can fix get their message as one line, not a stack trace. */
function failed(err: unknown): number {
  // Unreachable database, newer schema, bad URL: one line naming the database (never its password).
  if (err instanceof ConfigError || err instanceof StartupError || err instanceof StorageError) {
    console.error(`relaykit: ${err.message}`);
    return 1;
  }
  if (err instanceof UsageError) {
    console.error(`relaykit: ${err.message}`);
    return err.exitCode;
  }
  // parseArgs: an unknown option or a missing value.
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`relaykit: ${(err as Error).message}`);
    return 2;
  }
  throw err;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}

function print(text: string): number {
  console.log(text);
  return 0;
}

/** The config file to read; throws when one named explicitly is missing or any is unreadable. */
function configFile(explicit: string | undefined, env: Record<string, string | undefined>): string {
  const location = locateConfig(explicit, env);
  checkConfigFile(location);
  return location.path;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Runs the hub until SIGTERM or SIGINT, then stops it gracefully. The handlers go in
 * before the hub starts: "relaykit ready" is logged from inside `Hub.start`, and a
 * supervisor that signals the moment it reads that line must get a graceful stop, not
 * the default kill. A signal during start-up still ends the process at once, with the
 * code the default action would give (128 + the signal's number).
 */
async function start(config: string | undefined, env: Record<string, string | undefined>): Promise<number> {
  const configPath = configFile(config, env);
  let hub: Hub | null = null;
  let stopping = false;
  let stopped: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    stopped = resolve;
  });
  const shutdown = (signal: keyof typeof SIGNAL_NUMBERS) => {
    if (!hub) process.exit(128 + SIGNAL_NUMBERS[signal]);
    if (stopping) return;
    stopping = true;
    const running = hub;
    running.log.info({ signal }, 'shutting down');
    running.stop().then(
      () => stopped(0),
      (err) => {
        running.log.error({ err }, 'shutdown failed');
        stopped(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  hub = await Hub.start({ plugins: builtinPlugins, configPath, env, runtime: await detectRuntime() });
  return done;
}

async function runMigrate(config: string | undefined, env: Record<string, string | undefined>): Promise<number> {
  const runtime = await detectRuntime();
  await provideRelaykit(runtime);
  const { config: resolved } = await loadConfig(
    configFile(config, env),
    env,
    new Map(builtinPlugins.map((p) => [p.name, p])),
  );
  // Opening applies the migrations.
  const { storage } = await openStorage(resolved.storage.url, runtime);
  await storage.close();
  console.log(`migrations applied to ${storage.location}`);
  return 0;
}

async function check(file: string | undefined, env: Record<string, string | undefined>): Promise<number> {
  await provideRelaykit(await detectRuntime());
  const path = configFile(file, env);
  const { found } = await loadConfig(path, env, new Map(builtinPlugins.map((p) => [p.name, p])));
  console.log(found ? `${path}: valid` : `${path}: not found; the defaults are valid`);
  return 0;
}

/** Third-party plugin modules a config names `import 'relaykit'`, also when nothing on disk provides it (the binary). */
async function provideRelaykit(runtime: RuntimeAdapter): Promise<void> {
  runtime.provideModule?.('relaykit', (await import('../index.ts')) as Record<string, unknown>);
}

async function printOpenApi(env: Record<string, string | undefined>): Promise<number> {
  console.log(JSON.stringify(await openApiDocument(env), null, 2));
  return 0;
}

/**
 * The OpenAPI document of a hub with every built-in plugin enabled: starts one in
 * memory on a free loopback port, reads `/openapi/json` and stops it. `relaykit
 * openapi` prints it; `bun run client:generate` generates the TypeScript client from it.
 */
export function openApiDocument(env: Record<string, string | undefined> = process.env): Promise<object> {
  return servedDocument('/openapi/json', env);
}

/** The document with every server at `host` (the in-memory hub listened on a random port). */
function withHost(document: object, host: string): object {
  const servers = (document as { servers?: Record<string, object> }).servers ?? {};
  for (const server of Object.values(servers)) Object.assign(server, { host });
  return document;
}

/** A document (`/openapi/json`, `/asyncapi.json`) of a hub with every built-in plugin, started in memory. */
export async function servedDocument(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<object> {
  const hub = await Hub.start({
    plugins: builtinPlugins,
    configPath: '/dev/null/none.yaml',
    env: { ...env, RELAYKIT_CONFIG: undefined, RELAYKIT_STORAGE_URL: 'sqlite::memory:' },
    overrides: { server: { host: '127.0.0.1', port: 0 }, watch: false },
    runtime: await detectRuntime(),
    logger: silentLogger,
  });
  try {
    const res = await fetch(`${hub.url}${path}`);
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    return (await res.json()) as object;
  } finally {
    await hub.stop();
  }
}
