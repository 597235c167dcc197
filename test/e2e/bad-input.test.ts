import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const TOKEN = 'e2e-bad-input-admin';

forEachRuntime('bad input', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: `server:\n  maxBodyBytes: 4096\nauth:\n  adminToken: ${TOKEN}\n` });
  });
  afterAll(() => hub.dispose());

  const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    hub.request('/messages', { method: 'POST', headers, body });
  const chunked = (size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent < size; sent += 1000) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });

  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['malformed JSON', () => post('{"type": '), 400, 'RELAYKIT_ERR_MALFORMED_JSON'],
    ['a wrong type', () => post('{"type": 5, "channel": "c", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    ['neither to nor channel', () => post('{"type": "t", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    [
      'an unknown field',
      () => post('{"type": "t", "channel": "c", "payload": 1, "x": 1}'),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
    [
      'a non-JSON content type',
      () => post('type=t', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body over server.maxBodyBytes',
      () => post(JSON.stringify({ type: 't', channel: 'c', payload: 'x'.repeat(5000) })),
      413,
      'RELAYKIT_ERR_BODY_TOO_LARGE',
    ],
    ['a chunked body over server.maxBodyBytes', () => post(chunked(10_000)), 413, 'RELAYKIT_ERR_BODY_TOO_LARGE'],
    ['a non-numeric id', () => hub.request('/messages/abc'), 400, 'RELAYKIT_ERR_BAD_REQUEST'],
    ['a bad limit', () => hub.request('/messages?limit=0'), 400, 'RELAYKIT_ERR_BAD_REQUEST'],
    ['an unknown id', () => hub.request('/messages/999999'), 404, 'RELAYKIT_ERR_MESSAGE_NOT_FOUND'],
    [
      'ack of an unknown id',
      () => hub.request('/messages/999999/ack', { method: 'POST' }),
      404,
      'RELAYKIT_ERR_MESSAGE_NOT_FOUND',
    ],
    ['an unknown route', () => hub.request('/nowhere'), 404, 'RELAYKIT_ERR_ROUTE_NOT_FOUND'],
    ['a wrong method', () => hub.request('/messages/1', { method: 'DELETE' }), 404, 'RELAYKIT_ERR_ROUTE_NOT_FOUND'],
    [
      'admin patch with a bad body',
      () => hub.request('/admin/plugins/x', { method: 'PATCH', json: { enabled: 'yes' }, token: TOKEN }),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
  ];

  for (const [name, request, status, code] of cases) {
    test(`${name} gets ${status} ${code} in the one error shape and stores nothing`, async () => {
      const res = await request();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = await res.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
      expect(JSON.stringify(body)).not.toContain('    at ');
      expect((await (await hub.request('/messages?limit=1000')).json()).messages).toEqual([]);
    });
  }

  test('a body far over the runtime cap is refused without being read', async () => {
    const res = await post(new Uint8Array(16 * 1024 * 1024));
    expect(res.status).toBe(413);
    await res.arrayBuffer();
  });

  test('a good request works after all of that', async () => {
    const res = await post('{"type": "t", "channel": "c", "payload": null}');
    expect(res.status).toBe(201);
    expect((await res.json()).payload).toBeNull();
  });
});
