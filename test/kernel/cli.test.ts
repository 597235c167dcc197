import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnHub } from '../helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('relaykit CLI', () => {
  test('--help lists every command and --version prints the version', async () => {
    const help = await runCli(['--help'], dir);
    expect(help.code).toBe(0);
    for (const cmd of ['start', 'migrate', 'config check', 'config schema', 'openapi'])
      expect(help.stdout).toContain(cmd);
    const version = await runCli(['--version'], dir);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('config check accepts a valid file and names the field of an invalid one', async () => {
    writeFileSync(join(dir, 'good.yaml'), 'server:\n  port: 4000\n');
    writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: "many"\n  maxBodyBytes: -1\n');
    const good = await runCli(['config', 'check', 'good.yaml'], dir);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('valid');
    const bad = await runCli(['config', 'check', 'bad.yaml'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('server.port: expected integer >= 0 and <= 65535, got "many"');
    expect(bad.stderr).toContain('server.maxBodyBytes: expected integer >= 1, got -1');
  });

  test('config schema prints a JSON Schema covering every section', async () => {
    const out = await runCli(['config', 'schema'], dir);
    const schema = JSON.parse(out.stdout);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['server', 'storage', 'auth', 'log', 'plugins']),
    );
    expect(schema.properties.server.properties.port.default).toBe(3000);
  });

  test('start exits non-zero with the field named when the config is invalid', async () => {
    writeFileSync(join(dir, 'relaykit.config.yaml'), 'storage:\n  url: postgres://nope\n');
    const res = await runCli(['start'], dir, { RELAYKIT_PORT: '0' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('storage.url: expected string matching ^sqlite:');
    rmSync(join(dir, 'relaykit.config.yaml'));
  });

  test('migrate creates the schema in the configured database', async () => {
    const db = join(dir, 'migrated.db');
    const res = await runCli(['migrate'], dir, { RELAYKIT_STORAGE_URL: `sqlite:${db}` });
    expect(res.code).toBe(0);
    expect(existsSync(db)).toBe(true);
    const tables = new Database(db).query("select name from sqlite_master where type='table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toContain('messages');
  });

  test('openapi prints an OpenAPI 3.1 document with summaries on every operation', async () => {
    const out = await runCli(['openapi'], dir);
    const doc = JSON.parse(out.stdout);
    expect(doc.openapi).toStartWith('3.1');
    const ops = Object.values(doc.paths as Record<string, Record<string, { summary?: string }>>).flatMap((p) =>
      Object.values(p),
    );
    expect(ops.length).toBeGreaterThan(5);
    expect(ops.filter((o) => !o.summary)).toEqual([]);
  });

  test('SIGTERM stops the hub cleanly with exit code 0', async () => {
    const hub = await spawnHub({ cwd: dir, env: { RELAYKIT_STORAGE_URL: `sqlite:${join(dir, 'term.db')}` } });
    hub.proc.kill('SIGTERM');
    expect(await hub.proc.exited).toBe(0);
    expect(await hub.output()).toContain('relaykit stopped');
  });
});
