import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, PROBE_PLUGIN, send, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-metrics-admin';

forEachRuntime('metrics registry (prom-client)', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, {
      config: `watch: false\nauth:\n  adminToken: ${TOKEN}\nplugins:\n  probe:\n    module: ${PROBE_PLUGIN}\n`,
    });
  });
  afterAll(() => hub.dispose());

  const metrics = async () => {
    const res = await hub.request('/probe/metrics');
    expect(res.headers.get('content-type')).toStartWith('text/plain');
    return res.text();
  };

  /** Sends one text frame to the probe and waits for its echo. */
  async function frame(): Promise<void> {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/probe/ws?channel=m`);
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      ws.onopen = () => ws.send('count me');
      ws.onmessage = () => {
        if (++seen === 3) resolve(); // hello, echo, sentBytes
      };
      ws.onerror = () => reject(new Error('WebSocket failed'));
    });
    ws.close();
  }

  test('the kernel’s request histogram and message counter are exported', async () => {
    await send(hub, { channel: 'm', type: 'count', payload: 1 });
    await send(hub, { channel: 'm', type: 'count', payload: 2 });
    // Durations are recorded once the response has gone out: wait for the second one.
    const posted = /relaykit_http_request_duration_seconds_count\{method="POST",route="\/messages",status="201"\} 2/;
    await waitFor(async () => posted.test(await metrics()), 3000, 'both POST durations');
    const text = await metrics();
    expect(text).toContain('# TYPE relaykit_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /relaykit_http_request_duration_seconds_count\{method="POST",route="\/messages",status="201"\} 2/,
    );
    expect(text).toMatch(/relaykit_group_commit_batch_size_count \d+/);
    const plugins = (await (await hub.request('/admin/plugins', { token: TOKEN })).json()) as { state: string }[];
    const running = plugins.filter((p) => p.state === 'running').length;
    expect(text).toContain(`relaykit_plugins_running ${running}`);
  });

  test('a plugin’s counter counts, and starts again from zero when the plugin is reconfigured', async () => {
    await frame();
    await frame();
    expect(await metrics()).toContain('relaykit_probe_frames_total{kind="text"} 2');
    const res = await hub.request('/admin/plugins/probe', {
      method: 'PATCH',
      json: { options: { prefix: 'again:' } },
      token: TOKEN,
    });
    expect(res.status).toBe(200);
    expect(await metrics()).not.toContain('relaykit_probe_frames_total{kind="text"}');
    await frame();
    expect(await metrics()).toContain('relaykit_probe_frames_total{kind="text"} 1');
    expect(await metrics()).toMatch(/relaykit_plugin_reloads_total\{outcome="applied"\} 1/);
  });
});
