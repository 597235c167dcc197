/**
 * What the binary loads, and when. It is built with code splitting, so a module that
 * sits behind a dynamic `import()` is neither read nor evaluated until that import
 * runs. `relaykit --version` and `relaykit --help` answer before the hub is loaded:
 * the chunks the entry imports statically hold only the entry, the version and the
 * help text. The OpenAPI machinery loads on the first request for the document, and
 * of prom-client only the metric classes the hub uses load (src/kernel/prom.ts).
 */
import { expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { buildFlags } from '../../scripts/compile.ts';

const ROOT = resolve(import.meta.dir, '../..');

interface Output {
  inputs: Record<string, unknown>;
  imports?: Array<{ path: string; kind: string }>;
}

test('the binary is built with code splitting', async () => {
  expect(await buildFlags()).toContain('--splitting');
});

/** The split build of `src/cli.ts`, once for every test here. */
const build = Bun.build({
  entrypoints: [join(ROOT, 'src/cli.ts')],
  target: 'bun',
  format: 'esm',
  splitting: true,
  metafile: true,
});

/** The source files a chunk loads eagerly (its static imports, transitively), and the chunks it imports dynamically. */
async function closure(input: string): Promise<{ eager: string[]; dynamic: string[] }> {
  const result = await build;
  expect(result.success).toBe(true);
  const outputs = result.metafile?.outputs as Record<string, Output>;
  const start = Object.keys(outputs).find((name) => Object.keys(outputs[name].inputs).includes(input));
  if (!start) throw new Error(`no chunk holds ${input}`);
  const seen = new Set<string>();
  const dynamic = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const imported of outputs[name].imports ?? []) {
      const path = imported.path.startsWith('./') ? imported.path : `./${imported.path}`;
      if (imported.kind === 'import-statement') queue.push(path);
      else if (imported.kind === 'dynamic-import')
        for (const file of Object.keys(outputs[path]?.inputs ?? {})) dynamic.add(file);
    }
  }
  return { eager: [...seen].flatMap((name) => Object.keys(outputs[name].inputs)).sort(), dynamic: [...dynamic] };
}

test('--version and --help load only the entry, the version and the help text', async () => {
  const { eager, dynamic } = await closure('src/cli.ts');
  expect(eager).toEqual(['package.json', 'src/cli.ts', 'src/cli/help.ts', 'src/version.ts']);
  // The commands (and the hub with them) are still in the build, behind the dynamic import.
  expect(dynamic).toContain('src/cli/main.ts');
}, 60_000);

test('starting the hub does not load the OpenAPI machinery', async () => {
  const { eager, dynamic } = await closure('src/cli/main.ts');
  expect(eager).toContain('src/kernel/hub.ts');
  expect(eager.filter((file) => file.includes('@elysiajs/openapi') || file === 'src/kernel/docs.ts')).toEqual([]);
  expect(dynamic).toContain('src/kernel/docs.ts');
}, 60_000);

test('a SQLite hub does not load the PostgreSQL driver, pg-core or any pg-core schema', async () => {
  const { eager, dynamic } = await closure('src/cli/main.ts');
  const postgresOnly = (file: string) =>
    file.includes('node_modules/postgres/') ||
    file.endsWith('.pg.ts') ||
    // drizzle's own sql module imports pg-core's enum helper; nothing else of pg-core is needed on SQLite.
    (file.includes('node_modules/drizzle-orm/pg-core/') && !file.endsWith('pg-core/columns/enum.js'));
  expect(eager.filter(postgresOnly)).toEqual([]);
  // They are in the build, behind the imports that open a PostgreSQL store and pick a plugin's tables.
  expect(dynamic).toContain('src/storage/storage-postgres.ts');
  const outputs = (await build).metafile?.outputs as Record<string, Output>;
  const built = Object.values(outputs).flatMap((o) => Object.keys(o.inputs));
  for (const file of [
    'plugins/webhooks/schema.pg.ts',
    'plugins/ttl/schema.pg.ts',
    'node_modules/drizzle-orm/pg-core/table.js',
  ])
    expect(built).toContain(file);
  expect(built.some((file) => file.includes('node_modules/postgres/'))).toBe(true);
}, 60_000);

test("a hub loads prom-client's metric classes and process metrics but not its index, Pushgateway or cluster aggregator", async () => {
  const { eager } = await closure('src/cli/main.ts');
  const prom = eager.filter((file) => file.includes('node_modules/prom-client/'));
  expect(prom).toContain('node_modules/prom-client/lib/registry.js');
  expect(prom).toContain('node_modules/prom-client/lib/histogram.js');
  expect(prom).toContain('node_modules/prom-client/lib/metrics/eventLoopLag.js');
  // The process metrics are made family by family (plugins/metrics/process-collectors.ts):
  // collectDefaultMetrics would also make the heap-space family, which reads V8's statistics once when made,
  // and the CPU family, which loads @opentelemetry/api for exemplars.
  for (const unused of [
    'index.js',
    'lib/pushgateway.js',
    'lib/cluster.js',
    'lib/summary.js',
    'lib/defaultMetrics.js',
    'lib/metrics/heapSpacesSizeAndUsed.js',
    'lib/metrics/processCpuTotal.js',
  ])
    expect(prom).not.toContain(`node_modules/prom-client/${unused}`);
  expect(eager.filter((file) => file.includes('node_modules/@opentelemetry/'))).toEqual([]);
}, 60_000);

test('a hub that leaves pusher disabled (the default) does not load its protocol, HTTP API or service', async () => {
  const { eager, dynamic } = await closure('src/cli/main.ts');
  const pusher = ['service.ts', 'http-api.ts', 'commands.ts', 'session.ts', 'signing.ts', 'webhooks.ts', 'health.ts'];
  expect(eager.filter((file) => pusher.some((name) => file === `plugins/pusher/${name}`))).toEqual([]);
  // Its options, metadata and error codes are read at start: config validation and the OpenAPI document need them.
  expect(eager).toContain('plugins/pusher/index.ts');
  expect(eager).toContain('plugins/pusher/errors.ts');
  expect(dynamic).toContain('plugins/pusher/service.ts');
}, 60_000);

test('starting the hub does not load node:net or node:dns (loaded by the first TCP health check, DNS lookup)', async () => {
  const { eager } = await closure('src/cli/main.ts');
  const inputs = (await build).metafile?.inputs as Record<string, { imports: Array<{ path: string; kind: string }> }>;
  const importers = (module: string) =>
    eager.filter((file) =>
      inputs[file]?.imports.some((i) => i.kind !== 'dynamic-import' && [module, `node:${module}`].includes(i.path)),
    );
  // ioredis needs node:net, behind the dynamic import of the Redis broker.
  expect(importers('net')).toEqual([]);
  expect(importers('dns/promises')).toEqual([]);
  expect(importers('dns')).toEqual([]);
}, 60_000);

test('the YAML parser and writer load only with a config file to read or `config init`', async () => {
  const { eager, dynamic } = await closure('src/cli/main.ts');
  expect(eager.filter((file) => file.includes('node_modules/yaml/'))).toEqual([]);
  expect(dynamic).toContain('src/cli/config-init.ts');
  // It is in the build, behind those imports.
  const outputs = (await build).metafile?.outputs as Record<string, Output>;
  const built = Object.values(outputs).flatMap((o) => Object.keys(o.inputs));
  expect(built.some((file) => file.includes('node_modules/yaml/'))).toBe(true);
}, 60_000);

test('jose loads with the first JWT to verify or the token command, not at every start', async () => {
  const { eager } = await closure('src/cli/main.ts');
  expect(eager.filter((file) => file.includes('node_modules/jose/'))).toEqual([]);
  expect(eager).not.toContain('src/cli/token.ts');
}, 60_000);

test("starting the hub does not load pino or its transport machinery (the hub writes pino's lines itself)", async () => {
  const { eager } = await closure('src/cli/main.ts');
  const transport = [
    'pino',
    'sonic-boom',
    'thread-stream',
    'on-exit-leak-free',
    'atomic-sleep',
    'quick-format-unescaped',
  ];
  expect(eager.filter((file) => transport.some((name) => file.includes(`node_modules/${name}/`)))).toEqual([]);
  // The error serializer and the cycle-safe stringify pino used are loaded, for lines identical to its own.
  expect(eager).toContain('node_modules/pino-std-serializers/lib/err.js');
}, 60_000);

test('starting the hub does not load node:crypto (and Node streams with it): it loads at its first use', async () => {
  const { eager } = await closure('src/cli/main.ts');
  const inputs = (await build).metafile?.inputs as Record<string, { imports: Array<{ path: string; kind: string }> }>;
  const importers = eager.filter((file) =>
    inputs[file]?.imports.some((i) => i.kind !== 'dynamic-import' && ['crypto', 'node:crypto'].includes(i.path)),
  );
  expect(importers).toEqual([]);
  // Drizzle's migration reader hashes files with it: loaded only for a third-party plugin's folder.
  expect(eager).not.toContain('node_modules/drizzle-orm/migrator.js');
}, 60_000);
