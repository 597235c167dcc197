/**
 * API keys created through the admin API: shown once, stored as their hash, scoped,
 * revocable, with their last use; on SQLite and PostgreSQL, Bun and Deno.
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const ADMIN = 'e2e-api-keys-admin-token';
const CONFIG = `watch: false
auth:
  adminToken: ${ADMIN}
`;

interface KeyView {
  id: string;
  name: string;
  scopes: { publish: string[]; read: string[] };
  lastUsedAt: string | null;
  revokedAt: string | null;
}

forEachRuntime('API keys through the admin API', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG });
  });
  afterAll(() => hub.dispose());

  const post = (token: string | undefined, channel: string) =>
    hub.request('/messages', { method: 'POST', ...(token ? { token } : {}), json: { channel, type: 't', payload: 1 } });
  const list = async () =>
    ((await (await hub.request('/admin/keys', { token: ADMIN })).json()) as { keys: KeyView[] }).keys;

  test('only the admin manages keys', async () => {
    expect((await hub.request('/admin/keys')).status).toBe(401);
    const res = await hub.request('/admin/keys', { method: 'POST', json: { name: 'x' } });
    expect(res.status).toBe(401);
  });

  test('a created key is shown once, stored as its hash, scoped, and survives a restart; revoked, it is refused', async () => {
    // Open mode on loopback before any key: anonymous callers publish.
    expect((await post(undefined, 'tasks')).status).toBe(201);
    const res = await hub.request('/admin/keys', {
      method: 'POST',
      token: ADMIN,
      json: { name: 'planner', scopes: { publish: ['tasks', 'tasks.*'], read: ['tasks'] } },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as KeyView & { key: string };
    expect(created.key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes.publish).toEqual(['tasks', 'tasks.*']);

    // Scoped: its channels only; and a stored key is a credential, so anonymous callers no longer publish.
    expect((await post(created.key, 'tasks.new')).status).toBe(201);
    expect((await post(created.key, 'billing')).status).toBe(403);
    expect((await post(undefined, 'tasks')).status).toBe(403);
    expect((await hub.request('/messages?channel=tasks', { token: created.key })).status).toBe(200);

    const listed = await list();
    expect(listed.map((k) => k.name)).toEqual(['planner']);
    expect(listed[0].lastUsedAt).not.toBeNull();
    const text = JSON.stringify(listed);
    const hash = createHash('sha256').update(created.key).digest('hex');
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(hash);
    if (runtime.store !== 'postgres') {
      const db = new Database(hub.dbPath, { readonly: true });
      const rows = db.query('SELECT hash FROM api_keys').all() as Array<{ hash: string }>;
      db.close();
      expect(rows).toEqual([{ hash }]);
    }

    // Kept across a restart.
    const port = Number(new URL(hub.url).port);
    await hub.stop();
    hub = await startHub(runtime, { dir: hub.dir, port, config: CONFIG });
    expect((await post(created.key, 'tasks')).status).toBe(201);

    const revoked = await hub.request(`/admin/keys/${created.id}`, { method: 'DELETE', token: ADMIN });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as KeyView).revokedAt).not.toBeNull();
    const refused = await post(created.key, 'tasks');
    expect(refused.status).toBe(401);
    expect((await list())[0].revokedAt).not.toBeNull();
    expect((await hub.request('/admin/keys/key_missing', { method: 'DELETE', token: ADMIN })).status).toBe(404);
  });
});
