/**
 * Config reloads fail closed: a deleted, emptied or truncated file, or an auth section
 * that would give anyone more rights, is refused and the running auth keeps serving.
 */
import { afterEach, expect, test } from 'bun:test';
import { rmSync, writeFileSync } from 'node:fs';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const TOKEN = 'e2e-fail-closed-admin';
const ROTATED = 'e2e-fail-closed-rotated';
const SECRET = 'e2e-fail-closed-jwt-secret-0123';
const config = (token: string, required = true) =>
  `watch: false\nauth:\n  adminToken: ${token}\n  jwt:\n    secret: ${SECRET}\n    required: ${required}\n`;

forEachRuntime('config reload fails closed', (runtime) => {
  let hub: E2EHub;
  afterEach(() => hub.dispose());

  const reload = (token = TOKEN) => hub.request('/admin/reload', { method: 'POST', token });
  const stillLocked = async (token = TOKEN) => {
    expect((await hub.request('/messages?channel=x')).status).toBe(401);
    expect((await hub.request('/admin/plugins', { token })).status).toBe(200);
  };

  test('a deleted, empty or truncated config file is refused and auth keeps serving (the audit finding 6)', async () => {
    hub = await startHub(runtime, { config: config(TOKEN) });
    await stillLocked();

    rmSync(hub.configPath);
    const deleted = await reload();
    expect(deleted.status).toBe(422);
    expect(((await deleted.json()) as { error: { message: string } }).error.message).toContain('is gone');
    await stillLocked();

    writeFileSync(hub.configPath, '');
    expect((await reload()).status).toBe(422);
    await stillLocked();

    // Truncated after the admin token: jwt.required is lost.
    writeFileSync(hub.configPath, `watch: false\nauth:\n  adminToken: ${TOKEN}\n`);
    const truncated = await reload();
    expect(truncated.status).toBe(422);
    expect(((await truncated.json()) as { error: { message: string } }).error.message).toContain('auth.jwt.required');
    await stillLocked();

    // Turning jwt.required off in a valid file is still a weakening: it takes a restart.
    writeFileSync(hub.configPath, config(TOKEN, false));
    expect((await reload()).status).toBe(422);
    await stillLocked();
  });

  test('rotating the admin token through a valid file is applied and logged with what changed', async () => {
    hub = await startHub(runtime, { config: config(TOKEN) });
    writeFileSync(hub.configPath, config(ROTATED));
    expect((await reload()).status).toBe(200);
    expect((await hub.request('/admin/plugins', { token: TOKEN })).status).toBe(401);
    await stillLocked(ROTATED);
    await hub.stop();
    const output = await hub.process.output();
    const line = output.split('\n').find((l) => l.includes('auth configuration changed'));
    expect(line && JSON.parse(line).changed).toEqual(['auth.adminToken']);
    expect(output).not.toContain(ROTATED);
  });
});
