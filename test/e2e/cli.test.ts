import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process.ts';
import { forEachRuntime } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

forEachRuntime(
  'relaykit CLI',
  (runtime) => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, dir, env, runtime);

    test('--help lists every command and --version prints the version', async () => {
      const help = await cli(['--help']);
      expect(help.code).toBe(0);
      for (const cmd of ['start', 'migrate', 'config check', 'config schema', 'openapi'])
        expect(help.stdout).toContain(cmd);
      const version = await cli(['--version']);
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    });

    test('an unknown command exits 2 with the help', async () => {
      const res = await cli(['frobnicate']);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('unknown command "frobnicate"');
    });

    test('config check accepts a valid file and names the field of an invalid one', async () => {
      writeFileSync(join(dir, 'good.yaml'), 'server:\n  port: 4000\n');
      writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: "many"\n  maxBodyBytes: -1\n');
      const good = await cli(['config', 'check', 'good.yaml']);
      expect(good.code).toBe(0);
      expect(good.stdout).toContain('valid');
      const bad = await cli(['config', 'check', 'bad.yaml']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('server.port: expected integer >= 0 and <= 65535, got "many"');
      expect(bad.stderr).toContain('server.maxBodyBytes: expected integer >= 1, got -1');
    });

    test('config schema prints a JSON Schema covering every section', async () => {
      const out = await cli(['config', 'schema']);
      const schema = JSON.parse(out.stdout);
      expect(Object.keys(schema.properties)).toEqual(
        expect.arrayContaining(['server', 'storage', 'auth', 'log', 'plugins']),
      );
      expect(schema.properties.server.properties.port.default).toBe(3000);
    });

    test('start exits non-zero with the field named when the config is invalid', async () => {
      writeFileSync(join(dir, `invalid-${runtime.name}.yaml`), 'storage:\n  url: mysql://nope\n');
      const res = await cli(['start', '--config', `invalid-${runtime.name}.yaml`], { RELAYKIT_PORT: '0' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('storage.url: expected string matching ^(sqlite:|postgres(ql)?://)');
    });

    test('migrate creates the schema in the configured database', async () => {
      const db = join(dir, `migrated-${runtime.name}.db`);
      const res = await cli(['migrate'], { RELAYKIT_STORAGE_URL: `sqlite:${db}` });
      expect(res.code).toBe(0);
      expect(existsSync(db)).toBe(true);
      const client = new Database(db);
      const tables = client.query("select name from sqlite_master where type='table'").all() as { name: string }[];
      client.close();
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['messages', 'hub_meta']));
      // Running it again is a no-op.
      expect((await cli(['migrate'], { RELAYKIT_STORAGE_URL: `sqlite:${db}` })).code).toBe(0);
    });

    test('openapi prints an OpenAPI 3.1 document with summaries on every operation', async () => {
      const out = await cli(['openapi']);
      const doc = JSON.parse(out.stdout);
      expect(doc.openapi).toStartWith('3.1');
      const ops = Object.values(doc.paths as Record<string, Record<string, { summary?: string }>>).flatMap((p) =>
        Object.values(p),
      );
      expect(ops.length).toBeGreaterThan(5);
      expect(ops.filter((o) => !o.summary)).toEqual([]);
    });
    // The CLI itself does not depend on the store: SQLite is enough.
  },
  ['sqlite'],
);
