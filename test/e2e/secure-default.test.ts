/**
 * Secure by default: without API keys or JWTs the hub listens on loopback only and
 * says where in its ready line; any other address needs `auth.open: true`, which is
 * warned about at every start.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'bun';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

forEachRuntime('secure by default', (runtime) => {
  let hub: E2EHub | null = null;
  afterEach(async () => {
    await hub?.dispose();
    hub = null;
  });

  test('without credentials the hub listens on 127.0.0.1 and its ready line prints the real address', async () => {
    // RELAYKIT_HOST empty: the default applies.
    hub = await startHub(runtime, { env: { RELAYKIT_HOST: '' } });
    const h = hub;
    // The quick start works unchanged on this machine.
    const sent = await h.request('/messages', {
      method: 'POST',
      json: { from: 'planner', to: 'coder', type: 't', payload: 1 },
    });
    expect(sent.status).toBe(201);
    expect((await h.request('/messages?client=coder')).status).toBe(200);
    // The output is complete once the process has exited.
    await h.stop();
    const ready = (await h.process.output()).split('\n').find((l) => l.includes('relaykit ready')) as string;
    expect(JSON.parse(ready)).toMatchObject({ url: h.url, access: 'open' });
  });

  test('the default bind 0.0.0.0 without credentials is refused at start (the audit finding 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-bind-'));
    try {
      writeFileSync(join(dir, 'relaykit.config.yaml'), 'server:\n  host: 0.0.0.0\n');
      const proc = spawn([...runtime.command, 'start', '--config', join(dir, 'relaykit.config.yaml')], {
        cwd: dir,
        env: { ...process.env, ...runtime.env, RELAYKIT_PORT: '0', RELAYKIT_STORAGE_URL: `sqlite:${dir}/db` },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const stderr = await new Response(proc.stderr).text();
      expect(await proc.exited).toBe(1);
      expect(stderr).toContain('server.host');
      expect(stderr).toContain('auth.open');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('auth.open on every interface starts with a warning and prints 0.0.0.0', async () => {
    hub = await startHub(runtime, { config: 'auth:\n  open: true\n', env: { RELAYKIT_HOST: '0.0.0.0' } });
    const h = hub;
    expect((await h.request('/health/live')).status).toBeLessThan(500);
    await h.stop();
    const lines = (await h.process.output()).split('\n').filter(Boolean);
    const warning = lines.find((l) => l.includes('auth.open is true'));
    expect(warning && JSON.parse(warning).level).toBe('warn');
    const ready = JSON.parse(lines.find((l) => l.includes('relaykit ready')) as string);
    expect(ready.url).toBe(`http://0.0.0.0:${new URL(h.url).port}`);
  });

  test('a hub with API keys may listen on every interface', async () => {
    hub = await startHub(runtime, {
      config: 'auth:\n  apiKeys:\n    - { name: svc, env: SVC_KEY, scopes: { publish: ["*"] } }\n',
      env: { RELAYKIT_HOST: '0.0.0.0', SVC_KEY: 'svc-key-0123456789' },
    });
    expect((await hub.request('/messages?client=coder')).status).toBe(403);
    expect(
      (
        await hub.request('/messages', {
          method: 'POST',
          token: 'svc-key-0123456789',
          json: { channel: 'c', type: 't', payload: 1 },
        })
      ).status,
    ).toBe(201);
  });
});
