import { afterEach, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { AUDIT_PLUGIN, type E2EHub, forEachRuntime, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-reload-admin';
const config = (audit: string) =>
  `auth:\n  adminToken: ${TOKEN}\nplugins:\n  audit:\n    module: ${AUDIT_PLUGIN}\n${audit}`;

forEachRuntime('config file hot reload', (runtime) => {
  let hub: E2EHub;
  afterEach(() => hub.dispose());

  const auditStatus = async () =>
    (await (await hub.request('/admin/plugins', { token: TOKEN })).json()).find(
      (p: { name: string }) => p.name === 'audit',
    );

  test('editing the file reconfigures, disables and re-enables the plugin; a broken file changes nothing', async () => {
    hub = await startHub(runtime, { config: config('    keep: 10\n') });
    expect((await auditStatus()).options.keep).toBe(10);

    writeFileSync(hub.configPath, config('    keep: 20\n'));
    await waitFor(async () => (await auditStatus()).options.keep === 20, 5000, 'keep: 20 from the file');

    writeFileSync(hub.configPath, config('    keep: [unclosed\n'));
    await new Promise((r) => setTimeout(r, 700));
    expect((await auditStatus()).options.keep).toBe(20);
    expect((await hub.request('/audit/records')).status).toBe(200);

    writeFileSync(hub.configPath, config('    enabled: false\n'));
    await waitFor(async () => (await hub.request('/audit/records')).status === 404, 5000, 'audit disabled');
    const paths = Object.keys((await (await hub.request('/openapi/json')).json()).paths);
    expect(paths).not.toContain('/audit/records');

    writeFileSync(hub.configPath, config('    keep: 30\n'));
    await waitFor(async () => (await hub.request('/audit/records')).status === 200, 5000, 'audit enabled again');
    expect((await auditStatus()).options.keep).toBe(30);
  });

  test('with watch: false the file is only re-read on POST /admin/reload', async () => {
    hub = await startHub(runtime, { config: `watch: false\n${config('    keep: 10\n')}` });
    writeFileSync(hub.configPath, `watch: false\n${config('    keep: 11\n')}`);
    await new Promise((r) => setTimeout(r, 700));
    expect((await auditStatus()).options.keep).toBe(10);
    expect((await hub.request('/admin/reload', { method: 'POST', token: TOKEN })).status).toBe(200);
    expect((await auditStatus()).options.keep).toBe(11);
  });
});
