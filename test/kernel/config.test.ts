import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { definePlugin, type PluginDefinition } from '../../src/kernel/plugin.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { echoPlugin } from '../helpers/plugins.ts';

const retryPlugin = definePlugin({
  name: 'webhooks',
  options: Type.Object(
    {
      retry: Type.Object(
        { maxAttempts: Type.Integer({ minimum: 0, default: 7, description: 'attempts' }) },
        { default: {}, additionalProperties: false },
      ),
      format: Type.Union([Type.Literal('standard'), Type.Literal('slack')], { default: 'standard' }),
    },
    { default: {} },
  ),
  setup: () => ({}),
});
const catalogue = new Map<string, PluginDefinition>([
  ['webhooks', retryPlugin],
  ['echo', echoPlugin],
]);

let dir: string;
let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function errorsOf(yaml: string, env: Record<string, string> = {}): Promise<string[]> {
  dir = mkdtempSync(join(tmpdir(), 'relaykit-config-'));
  const path = join(dir, 'relaykit.config.yaml');
  writeFileSync(path, yaml);
  try {
    await loadConfig(path, env, catalogue);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('configuration', () => {
  test('an error names the field, what was expected and what was found', async () => {
    expect(await errorsOf('plugins:\n  webhooks:\n    retry:\n      maxAttempts: three\n')).toEqual([
      'plugins.webhooks.retry.maxAttempts: expected integer >= 0, got "three"',
    ]);
    expect(await errorsOf('server:\n  port: 70000\n')).toEqual([
      'server.port: expected integer >= 0 and <= 65535, got 70000',
    ]);
    expect(await errorsOf('plugins:\n  webhooks:\n    format: teams\n')).toEqual([
      'plugins.webhooks.format: expected one of "standard", "slack", got "teams"',
    ]);
  });

  test('unknown fields, unknown plugins and broken YAML are reported', async () => {
    expect(await errorsOf('server:\n  prot: 1\n')).toEqual([
      'server.prot: unknown field (check the spelling; `relaykit config schema` lists every field)',
    ]);
    const unknownPlugin = await errorsOf('plugins:\n  nope:\n    enabled: true\n');
    expect(unknownPlugin[0]).toStartWith('plugins.nope: no plugin has this name');
    const yaml = await errorsOf('server: [unclosed\n');
    expect(yaml[0]).toContain('line ');
  });

  test('defaults fill every section and built-ins are enabled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-config-'));
    const { config, found } = await loadConfig(join(dir, 'missing.yaml'), {}, catalogue);
    expect(found).toBe(false);
    expect(config.server.port).toBe(3000);
    expect(config.storage.url).toBe('sqlite:./data/relaykit.db');
    expect(config.plugins.webhooks).toEqual({
      enabled: true,
      options: { retry: { maxAttempts: 7 }, format: 'standard' },
    });
  });

  test('environment overrides win over the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-config-'));
    const path = join(dir, 'relaykit.config.yaml');
    writeFileSync(
      path,
      'server:\n  port: 4000\n  host: 127.0.0.1\nstorage:\n  url: sqlite:./a.db\nauth:\n  adminToken: from-the-file\n',
    );
    const env = {
      RELAYKIT_PORT: '5000',
      RELAYKIT_HOST: '::1',
      RELAYKIT_STORAGE_URL: 'sqlite::memory:',
      RELAYKIT_ADMIN_TOKEN: 'from-the-env',
    };
    const { config } = await loadConfig(path, env, catalogue);
    expect(config.server).toMatchObject({ port: 5000, host: '::1' });
    expect(config.storage.url).toBe('sqlite::memory:');
    expect(config.auth.adminToken).toBe('from-the-env');
    expect(await errorsOf('', { RELAYKIT_PORT: 'eighty' })).toEqual([
      'server.port (from RELAYKIT_PORT): expected integer >= 0 and <= 65535, got "eighty"',
    ]);
  });

  test('a third-party plugin loads from a module path relative to the config file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-config-'));
    writeFileSync(
      join(dir, 'relaykit.config.yaml'),
      `plugins:\n  audit:\n    module: ${join(import.meta.dir, '../../examples/custom-plugin/audit.ts')}\n    keep: 3\n`,
    );
    const { config, catalogue: loaded } = await loadConfig(join(dir, 'relaykit.config.yaml'), {}, catalogue);
    expect(loaded.has('audit')).toBe(true);
    expect(config.plugins.audit).toMatchObject({ enabled: true, options: { keep: 3 } });
    expect(await errorsOf('plugins:\n  audit:\n    module: ./missing.ts\n')).toEqual([
      expect.stringContaining('plugins.audit.module: cannot load ./missing.ts'),
    ]);
  });
});

describe('admin API', () => {
  test('answers 403 with how to set a token when none is configured', async () => {
    t = await startTestHub({ plugins: [echoPlugin] });
    const res = await t.request('/admin/plugins');
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toContain('RELAYKIT_ADMIN_TOKEN');
  });

  test('answers 401 without the token and lists plugins with secrets redacted', async () => {
    t = await startTestHub({ plugins: [echoPlugin], env: { RELAYKIT_ADMIN_TOKEN: 'admin-secret-1' } });
    expect((await t.request('/admin/plugins')).status).toBe(401);
    expect((await t.request('/admin/plugins', { token: 'wrong-token' })).status).toBe(401);
    const res = await t.request('/admin/plugins', { token: 'admin-secret-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      expect.objectContaining({
        name: 'echo',
        enabled: true,
        state: 'running',
        options: { greeting: 'hello', failToStart: false },
      }),
    ]);
    expect(
      (await t.request('/admin/plugins/nope', { method: 'PATCH', json: {}, token: 'admin-secret-1' })).status,
    ).toBe(404);
  });
});

describe('third-party plugins outside the repository', () => {
  test("a plugin module anywhere on disk can import 'relaykit'", async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-outside-'));
    writeFileSync(
      join(dir, 'outside.ts'),
      `import { definePlugin, Elysia, Type } from 'relaykit';
export default definePlugin({
  name: 'outside',
  options: Type.Object({ word: Type.String({ default: 'hi' }) }, { default: {} }),
  setup: (ctx) => ({ routes: () => new Elysia({ name: 'outside' }).get('/outside', () => ctx.options.word, { detail: { summary: 'x' } }) }),
});
`,
    );
    t = await startTestHub({
      plugins: [],
      configYaml: `plugins:\n  outside:\n    module: ${join(dir, 'outside.ts')}\n    word: hello\n`,
    });
    expect(await (await t.request('/outside')).text()).toBe('hello');
  });
});
