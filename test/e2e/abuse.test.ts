/**
 * The audit's bad inputs, each a regression test on every runtime: pattern bombs,
 * deep nesting, numbers and strings JSON cannot carry, bent ids, bodies without a
 * JSON content type, short Host headers. Each is refused with a 4xx in the one error
 * shape, writes nothing, and leaves the hub answering probes at once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

/** Sends raw HTTP/1.1 and resolves with the status line. */
function rawStatus(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

forEachRuntime('abuse resistance', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: 'watch: false\n' });
  });
  afterAll(() => hub.dispose());

  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    hub.request('/messages', { method: 'POST', body, headers });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
  const probeFast = async () => {
    const start = performance.now();
    expect((await hub.request('/health/live')).status).toBe(200);
    expect(performance.now() - start).toBeLessThan(1000);
  };

  test('ReDoS: /metrics/json?name= with many stars answers at once (the audit finding 4)', async () => {
    const start = performance.now();
    const res = await hub.request(`/metrics/json?name=${'*'.repeat(30)}Z`);
    expect(res.status).toBe(200);
    expect(performance.now() - start).toBeLessThan(1000);
    await probeFast();
  });

  test('deep nesting: a body of nested arrays is a 422 before it is parsed (the audit finding 5)', async () => {
    const depth = 500_000;
    const start = performance.now();
    const res = await post(`{"to":"x","type":"t","payload":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(res.status).toBe(422);
    expect(await codeOf(res)).toBe('RELAYKIT_ERR_JSON_TOO_DEEP');
    expect(performance.now() - start).toBeLessThan(2000);
    // A moderate depth within the default limit is stored and read back.
    const ok = await post(`{"to":"x","type":"t","payload":${'['.repeat(32)}${']'.repeat(32)}}`);
    expect(ok.status).toBe(201);
    await probeFast();
  });

  test('payload 1e999 and lone surrogates are refused, not stored bent (the audit finding 10)', async () => {
    const big = await post('{"to":"x","type":"t","payload":{"n":1e999}}');
    expect(big.status).toBe(422);
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain('payload/n');
    expect((await post('{"to":"x","type":"t","payload":"\\ud800"}')).status).toBe(422);
    expect((await post('{"to":"x","type":"t","payload":{"\\udfff":1}}')).status).toBe(422);
  });

  test('message ids: 0x10, 1e1, 010 and ids above 2^53 are refused (the audit finding 10)', async () => {
    for (const id of ['0x10', '1e1', '010', '9007199254740993', '99999999999999999999']) {
      const res = await hub.request(`/messages/${id}`);
      expect([id, res.status]).toEqual([id, 422]);
    }
    expect((await hub.request('/messages/1')).status).not.toBe(422);
  });

  test('a POST body without content-type application/json is a 415 (the audit finding 10)', async () => {
    const json = '{"to":"x","type":"t","payload":1}';
    expect((await post(json, {})).status).toBe(415);
    expect((await post(json, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(json, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  test('a Host header of 3 characters or fewer is routed like any other (the audit finding 9)', async () => {
    const port = Number(new URL(hub.url).port);
    for (const host of ['api', 'hub:80', 'a']) {
      const line = await rawStatus(port, `GET /health/live HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect([host, line]).toEqual([host, 'HTTP/1.1 200 OK']);
    }
  });

  test('nothing refused above was written', async () => {
    const { messages } = (await (await hub.request('/messages')).json()) as { messages: Array<{ payload: unknown }> };
    expect(messages).toHaveLength(1);
  });
});
