import { afterEach, expect, test } from 'bun:test';
import { AUDIT_PLUGIN, type E2EHub, forEachRuntime, send, startHub } from './harness.ts';

forEachRuntime('graceful shutdown', (runtime) => {
  let hub: E2EHub;
  afterEach(() => hub.dispose());

  test('SIGTERM stops the hub with exit code 0 and JSON log lines only', async () => {
    hub = await startHub(runtime);
    await send(hub, { channel: 'c', type: 't', payload: 1 });
    expect(await hub.stop('SIGTERM')).toBe(0);
    const output = await hub.process.output();
    const lines = output.trim().split('\n');
    const messages = lines.map((line) => JSON.parse(line).msg);
    expect(messages).toContain('relaykit ready');
    expect(messages.slice(-2)).toEqual(['shutting down', 'relaykit stopped']);
  });

  test('SIGINT stops it the same way', async () => {
    hub = await startHub(runtime);
    expect(await hub.stop('SIGINT')).toBe(0);
    expect(await hub.process.output()).toContain('"signal":"SIGINT"');
  });

  test('an open stream and an idle keep-alive connection do not hold the shutdown up', async () => {
    hub = await startHub(runtime, { config: `plugins:\n  audit:\n    module: ${AUDIT_PLUGIN}\n` });
    await (await hub.request('/messages?limit=1')).arrayBuffer(); // leaves a keep-alive connection open
    const stream = await hub.request('/audit/stream');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const started = Date.now();
    expect(await hub.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
  });

  test('requests in flight at SIGTERM are answered, and every acknowledged message is stored', async () => {
    hub = await startHub(runtime);
    const results: Array<number | string> = [];
    const inflight = Array.from({ length: 100 }, (_, i) =>
      send(hub, { to: 'late', type: 'job', payload: { i } }).then(
        (m) => results.push(m.id),
        (err: Error) => results.push(err.message),
      ),
    );
    while (results.length === 0) await new Promise((r) => setTimeout(r, 1));
    const exit = hub.stop('SIGTERM');
    await Promise.all(inflight);
    expect(await exit).toBe(0);
    const acknowledged = results.filter((r): r is number => typeof r === 'number');
    // Refused connections and 503 RELAYKIT_ERR_UNAVAILABLE (sent once the hub stopped accepting) are fine.
    const refusals = results.filter((r): r is string => typeof r === 'string');
    expect(refusals.filter((r) => r.includes('answered') && !r.includes('RELAYKIT_ERR_UNAVAILABLE'))).toEqual([]);

    const again = await startHub(runtime, { dir: hub.dir });
    try {
      const page = await (await again.request('/messages?client=late&limit=1000')).json();
      const stored = new Set(page.messages.map((m: { id: number }) => m.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await again.dispose();
    }
  });
});
