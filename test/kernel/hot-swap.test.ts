import { afterEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startTestHub, type TestHub, waitFor } from '../helpers/hub.ts';
import { childPlugin, echoPlugin } from '../helpers/plugins.ts';

const AUDIT = resolve(import.meta.dir, '../../examples/custom-plugin/audit.ts');
const TOKEN = 'test-admin-token';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

function hubWithAudit(extraYaml = '') {
  return startTestHub({
    plugins: [echoPlugin, childPlugin],
    configYaml: `auth:\n  adminToken: ${TOKEN}\nwatch: false\nplugins:\n  audit:\n    module: ${AUDIT}\n${extraYaml}`,
  });
}

const patch = (name: string, body: unknown) =>
  t.request(`/admin/plugins/${name}`, { method: 'PATCH', json: body, token: TOKEN });

/** Reads NDJSON lines from a streaming response as they arrive. */
function lines(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: Record<string, unknown>[] = [];
  let closed = false;
  let buffer = '';
  (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        seen.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    }
    closed = true;
  })();
  return { seen, isClosed: () => closed, cancel: () => reader.cancel() };
}

describe('hot swap', () => {
  test("an unchanged plugin's open stream keeps receiving while another plugin is disabled, enabled and reconfigured", async () => {
    t = await hubWithAudit();
    const stream = lines(await t.request('/audit/stream'));
    await waitFor(() => stream.seen.length > 0, 2000, 'stream hello');

    expect((await patch('echo', { enabled: false })).status).toBe(200);
    expect((await t.request('/echo')).status).toBe(404);
    expect((await patch('echo', { enabled: true })).status).toBe(200);
    expect((await patch('echo', { options: { greeting: 'hola' } })).status).toBe(200);
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'hola' });
    await t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'after.swaps', payload: 1 } });

    await waitFor(() => stream.seen.some((r) => r.event === 'message.sent'), 2000, 'message record');
    expect(stream.seen.map((r) => r.event).filter(Boolean)).toEqual([
      'plugin.disabled',
      'plugin.enabled',
      'plugin.reconfigured',
      'message.sent',
    ]);
    expect(stream.isClosed()).toBe(false);
    await stream.cancel();
  });

  test('requests sent continuously during 50 swaps all succeed and the port never changes', async () => {
    t = await hubWithAudit();
    const port = t.hub.port;
    let running = true;
    const statuses: number[] = [];
    const failures: string[] = [];
    const client = async (i: number) => {
      while (running) {
        try {
          const res =
            i % 2
              ? await t.request('/messages', { method: 'POST', json: { channel: 'load', type: 'tick', payload: i } })
              : await t.request('/echo');
          statuses.push(res.status);
          await res.arrayBuffer();
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    for (let i = 0; i < 50; i++) {
      const res = await patch('echo', { options: { greeting: `g${i}` } });
      expect(res.status).toBe(200);
    }
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect(t.hub.port).toBe(port);
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'g49' });
  });

  test('an invalid configuration is rejected with the field named and the old one keeps serving', async () => {
    t = await hubWithAudit();
    const res = await patch('echo', { options: { greeting: 5 } });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('RELAYKIT_ERR_CONFIG_INVALID');
    expect(body.error.message).toContain('plugins.echo.greeting: expected string, got 5');
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'hello', starts: 1 });
  });

  test('a plugin that fails to start is rolled back and the previous instance serves again', async () => {
    t = await hubWithAudit();
    const res = await patch('echo', { options: { greeting: 'new', failToStart: true } });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('RELAYKIT_ERR_PLUGIN_START_FAILED');
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'hello' });
    const list = await (await t.request('/admin/plugins', { token: TOKEN })).json();
    expect(list.find((p: { name: string }) => p.name === 'echo')).toMatchObject({
      state: 'running',
      options: { greeting: 'hello' },
    });
  });

  test('the OpenAPI document gains and loses a plugin’s paths', async () => {
    t = await hubWithAudit();
    const paths = async () => Object.keys((await (await t.request('/openapi/json')).json()).paths);
    expect(await paths()).toContain('/echo');
    await patch('echo', { enabled: false });
    expect(await paths()).not.toContain('/echo');
    expect(await paths()).toContain('/audit/stream');
    await patch('echo', { enabled: true });
    expect(await paths()).toContain('/echo');
  });

  test('dependencies start in order and a disabled dependency is refused', async () => {
    t = await hubWithAudit('  child:\n    enabled: true\n');
    expect(await (await t.request('/child')).text()).toBe('child');
    const res = await patch('echo', { enabled: false });
    expect(res.status).toBe(422);
    expect((await res.json()).error.message).toContain('plugins.child: depends on plugin "echo", which is not enabled');
    // Reconfiguring echo restarts its dependent too.
    const changed = await (await patch('echo', { options: { greeting: 'x' } })).json();
    expect(changed.changes).toEqual([
      { name: 'echo', kind: 'reconfigured' },
      { name: 'child', kind: 'restarted' },
    ]);
  });

  test('editing the config file reconfigures the plugin; a broken file changes nothing', async () => {
    t = await startTestHub({
      plugins: [echoPlugin],
      configYaml: 'plugins:\n  echo:\n    greeting: one\n',
    });
    writeFileSync(t.configPath, 'plugins:\n  echo:\n    greeting: two\n');
    await waitFor(async () => (await (await t.request('/echo')).json()).greeting === 'two', 5000, 'file reload');
    writeFileSync(t.configPath, 'plugins:\n  echo:\n    greeting: [unclosed\n');
    await new Promise((r) => setTimeout(r, 600));
    expect((await (await t.request('/echo')).json()).greeting).toBe('two');
    writeFileSync(t.configPath, 'plugins:\n  echo:\n    greeting: three\n');
    await waitFor(async () => (await (await t.request('/echo')).json()).greeting === 'three', 5000, 'file reload');
  });

  test('POST /admin/reload re-reads the file', async () => {
    t = await startTestHub({
      plugins: [echoPlugin],
      configYaml: `watch: false\nauth:\n  adminToken: ${TOKEN}\n`,
    });
    writeFileSync(t.configPath, `watch: false\nauth:\n  adminToken: ${TOKEN}\nplugins:\n  echo:\n    enabled: false\n`);
    const res = await t.request('/admin/reload', { method: 'POST', token: TOKEN });
    expect(res.status).toBe(200);
    expect((await res.json()).changes).toEqual([{ name: 'echo', kind: 'disabled' }]);
    expect((await t.request('/echo')).status).toBe(404);
  });
});

describe('message hooks across a plugin restart', () => {
  test('messages posted while a plugin restarts all pass through its hooks (none slips between instances)', async () => {
    const { definePlugin } = await import('../../src/kernel/plugin.ts');
    const { Type } = await import('@sinclair/typebox');
    const hooked = new Set<number>();
    const slowStart = definePlugin({
      name: 'outbox',
      options: Type.Object({ version: Type.Integer({ default: 1 }) }, { default: {} }),
      setup: () => ({
        // A slow start widens the window in which a message could miss both instances.
        start: () => new Promise<void>((r) => setTimeout(r, 150)),
        messageHooks: {
          afterInsert: (_tx, messages) => {
            for (const m of messages) hooked.add(m.id);
          },
        },
      }),
    });
    t = await startTestHub({ plugins: [slowStart], env: { RELAYKIT_ADMIN_TOKEN: TOKEN } });
    const posting = (async () => {
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'n', payload: i } });
        ids.push((await res.json()).id);
        await new Promise((r) => setTimeout(r, 5));
      }
      return ids;
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect((await patch('outbox', { options: { version: 2 } })).status).toBe(200);
    const ids = await posting;
    expect(ids.filter((id) => !hooked.has(id))).toEqual([]);
  });
});
