import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { echoPlugin } from '../helpers/plugins.ts';

const TOKEN = 'bad-input-admin';
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({
    plugins: [echoPlugin],
    env: { RELAYKIT_ADMIN_TOKEN: TOKEN },
    overrides: { server: { maxBodyBytes: 4096 } },
  });
});
afterAll(() => t.stop());

async function count(): Promise<number> {
  const res = await t.request('/messages?limit=1000');
  return (await res.json()).messages.length;
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(JSON.stringify(body)).not.toContain('    at ');
}

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  t.request('/messages', { method: 'POST', headers, body });

describe('bad input never hurts', () => {
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['malformed JSON', () => post('{"type": '), 400, 'RELAYKIT_ERR_MALFORMED_JSON'],
    ['a wrong type', () => post('{"type": 5, "channel": "c", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    ['a missing type', () => post('{"channel": "c", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    ['neither to nor channel', () => post('{"type": "t", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    [
      'an unknown field',
      () => post('{"type": "t", "channel": "c", "payload": 1, "x": 1}'),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
    ['a bad channel name', () => post('{"type": "t", "channel": "a b", "payload": 1}'), 422, 'RELAYKIT_ERR_VALIDATION'],
    [
      'a negative ttl',
      () => post('{"type": "t", "channel": "c", "payload": 1, "ttl": -5}'),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
    ['a body that is an array', () => post('[1,2]'), 422, 'RELAYKIT_ERR_VALIDATION'],
    [
      'a non-JSON content type',
      () => post('type=t', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'an oversize body',
      () => post(JSON.stringify({ type: 't', channel: 'c', payload: 'x'.repeat(5000) })),
      413,
      'RELAYKIT_ERR_BODY_TOO_LARGE',
    ],
    [
      'an oversize chunked body',
      () =>
        t.request('/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: new ReadableStream({
            start(c) {
              for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
              c.close();
            },
          }),
        }),
      413,
      'RELAYKIT_ERR_BODY_TOO_LARGE',
    ],
    ['a non-numeric id', () => t.request('/messages/abc'), 400, 'RELAYKIT_ERR_BAD_REQUEST'],
    ['an unknown id', () => t.request('/messages/999999'), 404, 'RELAYKIT_ERR_MESSAGE_NOT_FOUND'],
    [
      'ack of an unknown id',
      () => t.request('/messages/999999/ack', { method: 'POST' }),
      404,
      'RELAYKIT_ERR_MESSAGE_NOT_FOUND',
    ],
    [
      'ack with a bad body',
      () => t.request('/messages/1/ack', { method: 'POST', json: { by: 5 } }),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
    ['a bad limit', () => t.request('/messages?limit=0'), 400, 'RELAYKIT_ERR_BAD_REQUEST'],
    ['a bad cursor', () => t.request('/messages?after=-1'), 400, 'RELAYKIT_ERR_BAD_REQUEST'],
    ['an unknown route', () => t.request('/nowhere'), 404, 'RELAYKIT_ERR_ROUTE_NOT_FOUND'],
    ['a wrong method', () => t.request('/messages/1', { method: 'DELETE' }), 404, 'RELAYKIT_ERR_ROUTE_NOT_FOUND'],
    ['admin without a token', () => t.request('/admin/plugins'), 401, 'RELAYKIT_ERR_UNAUTHORIZED'],
    [
      'admin patch with a bad body',
      () => t.request('/admin/plugins/echo', { method: 'PATCH', json: { enabled: 'yes' }, token: TOKEN }),
      422,
      'RELAYKIT_ERR_VALIDATION',
    ],
    [
      'admin patch of an unknown plugin',
      () => t.request('/admin/plugins/ghost', { method: 'PATCH', json: { enabled: true }, token: TOKEN }),
      404,
      'RELAYKIT_ERR_PLUGIN_NOT_FOUND',
    ],
    [
      'admin patch with invalid options',
      () => t.request('/admin/plugins/echo', { method: 'PATCH', json: { options: { greeting: 1 } }, token: TOKEN }),
      422,
      'RELAYKIT_ERR_CONFIG_INVALID',
    ],
    [
      'admin patch with an unknown option',
      () => t.request('/admin/plugins/echo', { method: 'PATCH', json: { options: { nope: 1 } }, token: TOKEN }),
      422,
      'RELAYKIT_ERR_CONFIG_INVALID',
    ],
  ];

  for (const [name, send, status, code] of cases) {
    test(`${name} gets ${status} ${code} and writes nothing`, async () => {
      const before = await count();
      await expectError(await send(), status, code);
      expect(await count()).toBe(before);
    });
  }

  test('a good request still works after all of that', async () => {
    const res = await post('{"type": "t", "channel": "c", "payload": null}');
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });
});
