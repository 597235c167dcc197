/**
 * The single binary, as CI checks it: `bun run build`'s exact flags compile a fresh
 * binary into a temporary folder, which then runs from folders it has never seen,
 * with no Bun on PATH and no RELAYKIT_* variables beyond what each test passes.
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Subprocess, spawn } from 'bun';
import postgres from 'postgres';
import { compile } from '../../scripts/compile.ts';
import { BUILTIN_PG_MIGRATIONS } from '../../src/storage/postgres/migrate.ts';
import { VERSION } from '../../src/version.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { waitForReady } from '../helpers/process.ts';

const ROOT = resolve(import.meta.dir, '../..');
const work = mkdtempSync(join(tmpdir(), 'relaykit-binary-'));
const BINARY = join(work, 'bin', 'relaykit');

beforeAll(() => compile(join(ROOT, 'src/cli.ts'), BINARY), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let folders = 0;
/** A new empty folder to run the binary in. */
function folder(files: Record<string, string> = {}): string {
  const dir = join(work, `run-${++folders}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Only what a bare machine has: no Bun on PATH, no config in the environment. */
function bareEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: join(dir, 'no-such-bin'), HOME: dir, ...extra };
}

async function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const proc = spawn([BINARY, ...args], { cwd, env: bareEnv(cwd, env), stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

interface Running {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  port: number;
  /** SIGTERM, then the exit code and everything the hub wrote. */
  stop(): Promise<{ code: number; output: string }>;
}

/**
 * Starts `relaykit` (no arguments: `start` is the default) and waits for its
 * "relaykit ready" line, which names the port it bound (the configs here say port 0).
 */
async function start(cwd: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = spawn([BINARY], { cwd, env: bareEnv(cwd, env), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const { url, port, output } = await waitForReady(proc, 'the binary', 10_000);
  return {
    proc,
    url,
    port,
    async stop() {
      proc.kill('SIGTERM');
      return { code: await proc.exited, output: await output() };
    },
  };
}

test('starts from an empty folder with no config, relays a message and exits 0 on SIGTERM', async () => {
  const dir = folder();
  const hub = await start(dir, { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: '0' });
  try {
    const sent = await fetch(`${hub.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'smoke', type: 'smoke.test', payload: { n: 1 } }),
    });
    expect(sent.status).toBe(201);
    const message = (await sent.json()) as { id: number };
    const read = await fetch(`${hub.url}/messages/${message.id}`);
    expect(await read.json()).toMatchObject({ id: message.id, channel: 'smoke', payload: { n: 1 } });
    const page = (await (await fetch(`${hub.url}/messages?channel=smoke`)).json()) as { messages: { id: number }[] };
    expect(page.messages.map((m) => m.id)).toEqual([message.id]);
  } finally {
    const { code, output } = await hub.stop();
    expect(output).toContain('relaykit stopped');
    expect(code).toBe(0);
  }
  // The default database, migrated from the migrations embedded in the binary.
  expect(existsSync(join(dir, 'data/relaykit.db'))).toBe(true);
}, 20_000);

test('every CLI subcommand works from the binary', async () => {
  const dir = folder();
  const [help, version, schema, check, migrate, openapi] = await Promise.all([
    run(['--help'], dir),
    run(['--version'], dir),
    run(['config', 'schema'], dir),
    run(['config', 'check'], dir),
    run(['migrate'], dir, { RELAYKIT_STORAGE_URL: 'sqlite:./migrated.db' }),
    run(['openapi'], dir),
  ]);
  expect(help.code).toBe(0);
  for (const command of ['start', 'migrate', 'config check', 'config schema', 'openapi'])
    expect(help.stdout).toContain(command);
  expect(version.stdout.trim()).toBe(VERSION);
  expect(schema.code).toBe(0);
  expect(Object.keys(JSON.parse(schema.stdout).properties)).toEqual(
    expect.arrayContaining(['server', 'storage', 'plugins']),
  );
  expect(check.code).toBe(0);
  expect(check.stdout).toContain('not found; the defaults are valid');
  expect(migrate.code).toBe(0);
  const db = new Database(join(dir, 'migrated.db'), { readonly: true });
  const tables = db.query("select name from sqlite_master where type = 'table'").all() as { name: string }[];
  db.close();
  expect(tables.map((t) => t.name)).toContain('messages');
  expect(openapi.code).toBe(0);
  const doc = JSON.parse(openapi.stdout) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toStartWith('3.1');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/messages', '/admin/plugins', '/health/ready']));
}, 20_000);

test('uses the config file beside it, loads a plugin that imports relaykit, and ignores stray .env and bunfig.toml', async () => {
  const dir = folder({
    'relaykit.config.yaml': [
      'server:',
      '  host: 127.0.0.1',
      '  port: 0',
      'storage:',
      '  url: sqlite:./configured.db',
      'plugins:',
      '  greeter:',
      '    module: ./greeter.ts',
      '    greeting: hello from beside the binary',
      '',
    ].join('\n'),
    'greeter.ts': GREETER_PLUGIN,
    // Were these read, the hub would listen on port 1 with another database, and the preload would leave a file.
    '.env': 'RELAYKIT_PORT=1\nRELAYKIT_STORAGE_URL=sqlite:./from-dotenv.db\n',
    'bunfig.toml': 'preload = ["./preload.ts"]\n',
    'preload.ts': "require('node:fs').writeFileSync('bunfig-was-read', '');\n",
  });
  const check = await run(['config', 'check'], dir);
  expect(check.stderr).toBe('');
  expect(check.stdout).toContain('relaykit.config.yaml: valid');
  expect(check.code).toBe(0);

  const hub = await start(dir);
  try {
    expect(hub.port).not.toBe(1);
    expect(await (await fetch(`${hub.url}/greeter`)).json()).toEqual({ greeting: 'hello from beside the binary' });
  } finally {
    expect((await hub.stop()).code).toBe(0);
  }
  expect(existsSync(join(dir, 'configured.db'))).toBe(true);
  expect(existsSync(join(dir, 'from-dotenv.db'))).toBe(false);
  expect(existsSync(join(dir, 'bunfig-was-read'))).toBe(false);
}, 20_000);

test('the operator commands work from the binary against the binary hub, and a taken port is one line', async () => {
  const admin = 'binary-admin-token';
  const dir = folder({
    'relaykit.config.yaml': [
      'server:',
      '  host: 127.0.0.1',
      '  port: 0',
      'auth:',
      `  adminToken: ${admin}`,
      '  jwt:',
      '    secret: binary-test-secret-0123456789abcdef',
      // `status` must read pass on a busy CI machine too: no CPU or event-loop warnings.
      'plugins:',
      '  health: { cpu: { warnPercent: 0 }, eventLoop: { warnMs: 60000 } }',
      '',
    ].join('\n'),
  });
  const init = await run(['config', 'init', 'fresh.yaml'], dir);
  expect(init.code).toBe(0);
  expect((await run(['config', 'check', 'fresh.yaml'], dir)).code).toBe(0);
  const minted = await run(['token', '--sub', 'alice', '--channels', 'room', '--publish', 'room', '--ttl', '5m'], dir);
  expect(minted.code).toBe(0);
  const checked = await run(['token', '--check', minted.stdout.trim()], dir);
  expect(JSON.parse(checked.stdout)).toMatchObject({ sub: 'alice', channels: ['room'] });

  const hub = await start(dir);
  try {
    // The config says port 0; a second hub asked for the first one's port finds it taken.
    const taken = await run([], dir, { RELAYKIT_PORT: String(hub.port) });
    expect(taken.code).toBe(1);
    expect(taken.stderr.trim()).toBe(
      `relaykit: cannot listen on 127.0.0.1:${hub.port}: the address is already in use (is another hub running?)`,
    );
    const env = { RELAYKIT_URL: hub.url, RELAYKIT_TOKEN: minted.stdout.trim() };
    const published = await run(['publish', '--channel', 'room', '--type', 'note', '{"text":"hi"}'], dir, env);
    expect(published.code).toBe(0);
    const { id } = JSON.parse(published.stdout) as { id: number };
    const subscribed = await run(['subscribe', 'room', '--since', String(id - 1), '--count', '1'], dir, env);
    expect(JSON.parse(subscribed.stdout)).toMatchObject({ id, channel: 'room', data: { text: 'hi' } });
    const tail = await run(['tail', '--since', String(id - 1), '--count', '1'], dir, { ...env, RELAYKIT_TOKEN: admin });
    expect(JSON.parse(tail.stdout)).toMatchObject({ id });
    const status = await run(['status', '--json'], dir, { ...env, RELAYKIT_TOKEN: admin });
    expect(JSON.parse(status.stdout).health.status).toBe('pass');
    // The API reference's viewer is embedded too.
    expect((await fetch(`${hub.url}/openapi`)).status).toBe(200);
    const viewer = await fetch(`${hub.url}/openapi/assets/swagger-ui-bundle.js`);
    expect(viewer.status).toBe(200);
    expect((await viewer.text()).length).toBeGreaterThan(1_000_000);
    // And the dashboard's page and script.
    expect(await (await fetch(`${hub.url}/dashboard`)).text()).toContain('Relaykit dashboard');
    const script = await fetch(`${hub.url}/dashboard/assets/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("from './lib.js'");
    const lib = await fetch(`${hub.url}/dashboard/assets/lib.js`);
    expect(await lib.text()).toContain('relaykit.adminToken');
  } finally {
    expect((await hub.stop()).code).toBe(0);
  }
}, 30_000);

const pg = await createTestDatabase(import.meta.path);
const withPostgres = pg ? test : test.skip;

withPostgres(
  'runs on PostgreSQL: `relaykit migrate` applies the embedded migrations, then the hub relays and keeps a message',
  async () => {
    const url = pg!.url({ schema: 'from_binary' });
    const dir = folder({
      'relaykit.config.yaml': ['server:', '  host: 127.0.0.1', '  port: 0', 'storage:', `  url: ${url}`, ''].join('\n'),
    });
    const migrate = await run(['migrate'], dir);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    const sql = postgres(pg!.url(), { max: 1, onnotice: () => {} });
    try {
      const applied = await sql<{ hash: string }[]>`select hash from from_binary.__drizzle_migrations order by id`;
      expect(applied.map((r) => r.hash)).toEqual(BUILTIN_PG_MIGRATIONS.map((m) => m.hash));

      let id = 0;
      const hub = await start(dir);
      try {
        const sent = await fetch(`${hub.url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'smoke', type: 'smoke.pg', payload: { n: 1 } }),
        });
        expect(sent.status).toBe(201);
        id = ((await sent.json()) as { id: number }).id;
        const read = await fetch(`${hub.url}/messages/${id}`);
        expect(await read.json()).toMatchObject({ id, channel: 'smoke', payload: { n: 1 } });
      } finally {
        expect((await hub.stop()).code).toBe(0);
      }
      // In PostgreSQL, not in a SQLite file beside the binary.
      const [row] = await sql<{ type: string }[]>`select type from from_binary.messages where id = ${id}`;
      expect(row.type).toBe('smoke.pg');
      expect(existsSync(join(dir, 'data/relaykit.db'))).toBe(false);
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
  30_000,
);

/** A third-party plugin as a user would write it next to the binary: no node_modules, just `import 'relaykit'`. */
const GREETER_PLUGIN = `import { definePlugin, Elysia, Type } from 'relaykit';

export default definePlugin({
  name: 'greeter',
  options: Type.Object(
    { greeting: Type.String({ default: 'hello', description: 'What GET /greeter answers' }) },
    { default: {} },
  ),
  setup(ctx) {
    return {
      routes: () =>
        new Elysia({ name: 'relaykit-greeter' }).get('/greeter', () => ({ greeting: ctx.options.greeting }), {
          detail: { summary: 'Say hello' },
        }),
    };
  },
});
`;
