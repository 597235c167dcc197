import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { AUDIT_PLUGIN, type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-admin-token';

forEachRuntime('admin API', (runtime) => {
  describe('without an admin token configured', () => {
    let hub: E2EHub;
    beforeAll(async () => {
      hub = await startHub(runtime, { config: 'watch: false\n' });
    });
    afterAll(() => hub.dispose());

    test('every admin route answers 403 RELAYKIT_ERR_ADMIN_DISABLED', async () => {
      for (const [method, path] of [
        ['GET', '/admin/plugins'],
        ['PATCH', '/admin/plugins/audit'],
        ['POST', '/admin/reload'],
      ]) {
        const res = await hub.request(path, {
          method,
          token: 'anything-at-all',
          ...(method === 'PATCH' ? { json: {} } : {}),
        });
        expect(res.status).toBe(403);
        expect((await res.json()).error.code).toBe('RELAYKIT_ERR_ADMIN_DISABLED');
      }
    });
  });

  describe('with a third-party plugin loaded by module path', () => {
    let hub: E2EHub;
    beforeAll(async () => {
      hub = await startHub(runtime, {
        config: `watch: false\nauth:\n  adminToken: ${TOKEN}\nplugins:\n  audit:\n    module: ${AUDIT_PLUGIN}\n    keep: 50\n`,
      });
    });
    afterAll(() => hub.dispose());

    const patch = (body: unknown) => hub.request('/admin/plugins/audit', { method: 'PATCH', json: body, token: TOKEN });
    const paths = async () => Object.keys((await (await hub.request('/openapi/json')).json()).paths);
    const audit = async () =>
      (await (await hub.request('/admin/plugins', { token: TOKEN })).json()).find(
        (p: { name: string }) => p.name === 'audit',
      );

    test('a missing or wrong token gets 401, the right one 200', async () => {
      expect((await hub.request('/admin/plugins')).status).toBe(401);
      const wrong = await hub.request('/admin/plugins', { token: 'not-the-token' });
      expect(wrong.status).toBe(401);
      expect((await wrong.json()).error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
      const ok = await hub.request('/admin/plugins', { token: TOKEN });
      expect(ok.status).toBe(200);
    });

    test('the plugin runs with its options and records hub events', async () => {
      expect(await audit()).toMatchObject({ state: 'running', enabled: true, builtin: false, options: { keep: 50 } });
      const sent = await send(hub, { channel: 'audited', type: 'hello', payload: 1 });
      await waitFor(
        async () =>
          (await (await hub.request('/audit/records')).json()).some(
            (r: { event: string; payload: { id: number } }) => r.event === 'message.sent' && r.payload.id === sent.id,
          ),
        3000,
        'audit record',
      );
    });

    test('disable removes its routes and OpenAPI paths; enable brings them back', async () => {
      expect(await paths()).toContain('/audit/records');
      const off = await patch({ enabled: false });
      expect(off.status).toBe(200);
      expect((await off.json()).changes).toEqual([{ name: 'audit', kind: 'disabled' }]);
      expect((await hub.request('/audit/records')).status).toBe(404);
      expect(await paths()).not.toContain('/audit/records');
      expect(await audit()).toMatchObject({ enabled: false, state: 'stopped' });

      const on = await patch({ enabled: true });
      expect((await on.json()).changes).toEqual([{ name: 'audit', kind: 'enabled' }]);
      expect((await hub.request('/audit/records')).status).toBe(200);
      expect(await paths()).toContain('/audit/records');
    });

    test('reconfiguring restarts only that plugin with the merged options; bad options change nothing', async () => {
      const res = await patch({ options: { label: 'e2e', keep: 5 } });
      expect(res.status).toBe(200);
      expect((await res.json()).changes).toEqual([{ name: 'audit', kind: 'reconfigured' }]);
      expect((await audit()).options).toMatchObject({ label: 'e2e', keep: 5 });
      await send(hub, { channel: 'audited', type: 'after', payload: 2 });
      await waitFor(
        async () =>
          (await (await hub.request('/audit/records')).json()).some((r: { label: string }) => r.label === 'e2e'),
        3000,
        'relabelled record',
      );

      const bad = await patch({ options: { keep: 'many' } });
      expect(bad.status).toBe(422);
      const body = await bad.json();
      expect(body.error.code).toBe('RELAYKIT_ERR_CONFIG_INVALID');
      expect(body.error.message).toContain('plugins.audit.keep');
      expect((await audit()).options).toMatchObject({ label: 'e2e', keep: 5 });
    });

    test('a stream of the plugin ends when it is reconfigured, and a new one serves the new options', async () => {
      const res = await hub.request('/audit/stream');
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(JSON.parse(first.split('\n')[0])).toEqual({ hello: 'e2e' });
      await patch({ options: { label: 'second' } });
      for (;;) if ((await reader.read()).done) break;
      const next = await hub.request('/audit/stream');
      const again = (next.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await again.read()).value)).toContain('"hello":"second"');
      await again.cancel();
    });

    test('an unknown plugin is 404 and POST /admin/reload re-reads the file', async () => {
      const ghost = await hub.request('/admin/plugins/ghost', {
        method: 'PATCH',
        json: { enabled: true },
        token: TOKEN,
      });
      expect(ghost.status).toBe(404);
      expect((await ghost.json()).error.code).toBe('RELAYKIT_ERR_PLUGIN_NOT_FOUND');
      // The file still says keep: 50 and no label: reloading drops the API's changes.
      const reload = await hub.request('/admin/reload', { method: 'POST', token: TOKEN });
      expect(reload.status).toBe(200);
      expect((await reload.json()).changes).toEqual([{ name: 'audit', kind: 'reconfigured' }]);
      expect((await audit()).options).toMatchObject({ keep: 50, label: 'audit' });
    });
  });
});
