import { afterEach, describe, expect, test } from 'bun:test';
import { ManualClock } from '../../../src/kernel/clock.ts';
import type { SqliteHandle } from '../../../src/runtime/types.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { gatePlugin, withPlugins } from './fixtures.ts';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const PROBES = ['/health/live', '/health/ready', '/health/startup', '/health/status'] as const;

async function codes(base: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const path of PROBES) {
    const res = await fetch(`${base}${path}`);
    await res.arrayBuffer();
    out[path] = res.status;
  }
  return out;
}

describe('probe status codes', () => {
  test('ready: every probe answers 200', async () => {
    t = await startTestHub();
    const hub = t;
    // The first run of the checks starts with the plugin and ends milliseconds later.
    await waitFor(async () => (await hub.request('/health/ready')).status === 200, 2000, 'first run');
    expect(await codes(t.url)).toEqual({
      '/health/live': 200,
      '/health/ready': 200,
      '/health/startup': 200,
      '/health/status': 200,
    });
  });

  test('starting: every probe answers 503 until migrations ran and the plugins started', async () => {
    const gate = gatePlugin();
    const starting = startTestHub({ plugins: withPlugins(gate.plugin) });
    const base = `http://127.0.0.1:${await gate.port}`;
    expect(await codes(base)).toEqual({
      '/health/live': 503,
      '/health/ready': 503,
      '/health/startup': 503,
      '/health/status': 503,
    });
    const res = await fetch(`${base}/health/startup`);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await res.json()).error.code).toBe('RELAYKIT_ERR_UNAVAILABLE');
    gate.open();
    t = await starting;
    expect((await fetch(`${base}/health/startup`)).status).toBe(200);
  });

  test('starting: an EventSource request waits for the start instead of a 503 it could not retry, then streams', async () => {
    const gate = gatePlugin();
    const starting = startTestHub({ plugins: withPlugins(gate.plugin) });
    const base = `http://127.0.0.1:${await gate.port}`;
    // Made while the plugins start: a 503 here would end a browser's EventSource for good.
    const stream = fetch(`${base}/stream/events?channels=boot`, { headers: { accept: 'text/event-stream' } });
    const plain = await fetch(`${base}/messages`);
    expect(plain.status).toBe(503);
    await plain.arrayBuffer();
    gate.open();
    t = await starting;
    const res = await stream;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await t.request('/messages', { method: 'POST', json: { channel: 'boot', type: 'hello', payload: 1 } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: hello')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: hello');
    await reader.cancel();
  });

  test('database gone: readiness and status turn 503 at the next run; liveness and startup stay 200', async () => {
    const clock = new ManualClock();
    t = await startTestHub({ clock });
    expect((await t.request('/health/ready')).status).toBe(200);
    // Stands in for a lost database: the kernel's round trip now throws.
    (t.hub as unknown as { storage: SqliteHandle }).storage.close();
    expect((await t.request('/health/ready')).status).toBe(200); // probes answer from the cache
    await clock.tick(5000);
    const hub = t;
    await waitFor(async () => (await hub.request('/health/ready')).status === 503, 2000, 'readiness 503');
    expect(await codes(t.url)).toEqual({
      '/health/live': 200,
      '/health/ready': 503,
      '/health/startup': 200,
      '/health/status': 503,
    });
    const ready = await (await t.request('/health/ready')).json();
    expect(ready.status).toBe('fail');
    expect(ready.output).toStartWith('database:responseTime: the check threw:');
    expect(ready.checks['database:responseTime'][0].status).toBe('fail');
  });

  test('draining: readiness turns 503 while liveness and startup stay 200', async () => {
    t = await startTestHub();
    t.hub.drain();
    expect(await codes(t.url)).toEqual({
      '/health/live': 200,
      '/health/ready': 503,
      '/health/startup': 200,
      '/health/status': 503,
    });
    const body = await (await t.request('/health/ready')).json();
    expect(body).toMatchObject({ status: 'fail', output: 'the hub is draining' });
  });
});
