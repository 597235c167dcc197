import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { listPlugins, reloadConfig, scrapeMetrics, updatePlugin } from '../../clients/typescript/generated/index.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: admin', () => {
  let t: ClientHub;
  beforeAll(async () => {
    t = await startClientHub({ configYaml: 'log:\n  level: warn\n' });
  });
  afterAll(() => t.hub.stop());

  test('lists plugins, disables and re-enables one live, and reloads the config file', async () => {
    const { admin } = t;
    const listed = await listPlugins({ client: admin });
    expect(listed.data?.map((p) => p.name)).toEqual(expect.arrayContaining(['ws-channels', 'metrics', 'health']));
    expect(listed.data?.find((p) => p.name === 'metrics')?.state).toBe('running');

    const disabled = await updatePlugin({ client: admin, path: { name: 'metrics' }, body: { enabled: false } });
    expect(disabled.data?.changes).toEqual([{ name: 'metrics', kind: 'disabled' }]);
    expect((await scrapeMetrics({ client: t.client })).response?.status).toBe(404);

    const enabled = await updatePlugin({
      client: admin,
      path: { name: 'metrics' },
      body: { enabled: true, options: { requireAdmin: false } },
    });
    expect(enabled.data?.plugins.find((p) => p.name === 'metrics')?.state).toBe('running');
    expect((await scrapeMetrics({ client: t.client })).response?.status).toBe(200);

    const reloaded = await reloadConfig({ client: admin });
    expect(reloaded.response?.status).toBe(200);
    expect(reloaded.data?.plugins.length).toBe(listed.data?.length);
  });

  test('without the admin token the operations answer a typed 401', async () => {
    const refused = await listPlugins({ client: t.client });
    expect(refused.response?.status).toBe(401);
    expect(refused.error?.error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
    const unknown = await updatePlugin({ client: t.admin, path: { name: 'no-such-plugin' }, body: { enabled: true } });
    expect(unknown.error?.error.code).toBe('RELAYKIT_ERR_PLUGIN_NOT_FOUND');
  });
});
