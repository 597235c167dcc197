import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from '../../plugins/index.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const builtins = new Map(builtinPlugins.map((p) => [p.name, p]));

function write(yaml: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-secrets-'));
  dirs.push(dir);
  const path = join(dir, 'relaykit.config.yaml');
  writeFileSync(path, yaml);
  return { dir, path };
}

test('${VAR} and VAR_FILE fill secrets in the config file; $${VAR} stays literal', async () => {
  const { dir, path } = write(
    'auth:\n  adminToken: ${ADMIN_TOKEN}\n  jwt:\n    secret: ${JWT_SECRET}\n    issuer: "$${KEEP}"\n',
  );
  writeFileSync(join(dir, 'jwt-secret'), 'a-mounted-secret-of-32-characters\n');
  const { config } = await loadConfig(
    path,
    { ADMIN_TOKEN: 'from-the-environment', JWT_SECRET_FILE: join(dir, 'jwt-secret') },
    builtins,
  );
  expect(config.auth.adminToken).toBe('from-the-environment');
  expect(config.auth.jwt.secret).toBe('a-mounted-secret-of-32-characters');
  expect(config.auth.jwt.issuer).toBe('${KEEP}');
});

test('a reference to an unset variable is refused with the field named, never an empty secret', async () => {
  const { path } = write('auth:\n  adminToken: ${MISSING_TOKEN}\n');
  const error = await loadConfig(path, {}, builtins).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).issues).toEqual([
    {
      path: 'auth.adminToken',
      message: 'refers to ${MISSING_TOKEN}, but neither MISSING_TOKEN nor MISSING_TOKEN_FILE is set',
    },
  ]);
});
