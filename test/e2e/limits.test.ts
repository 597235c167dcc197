/**
 * Quotas and limits on every runtime (the audit finding 7): per-caller message rates
 * with 429 and Retry-After, a payload size cap, and a timeout for request bodies that
 * stall, all visible in GET /admin/limits and relaykit_rate_limited_total.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const ADMIN = 'e2e-limits-admin-token';
const KEY_A = 'e2e-limits-key-a-0123456789';
const KEY_B = 'e2e-limits-key-b-0123456789';
const CONFIG = `watch: false
server:
  bodyTimeoutMs: 300
limits:
  messagesPerSecond: 0.01
  messageBurst: 2
  maxPayloadBytes: 1000
auth:
  adminToken: ${ADMIN}
  apiKeys:
    - { name: a, env: KEY_A, scopes: { publish: ["*"] } }
    - { name: b, env: KEY_B, scopes: { publish: ["*"] } }
`;

forEachRuntime('quotas and limits', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG, env: { KEY_A, KEY_B } });
  });
  afterAll(() => hub.dispose());

  const post = (token: string, payload: unknown = 1) =>
    hub.request('/messages', { method: 'POST', token, json: { channel: 'c', type: 't', payload } });

  test('a caller over its messages per second gets 429 with Retry-After; other callers do not', async () => {
    expect((await post(KEY_A)).status).toBe(201);
    expect((await post(KEY_A)).status).toBe(201);
    const limited = await post(KEY_A);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RELAYKIT_ERR_RATE_LIMITED');
    expect((await post(KEY_B)).status).toBe(201);
    // The admin is not limited.
    expect((await post(ADMIN)).status).toBe(201);

    const view = (await (await hub.request('/admin/limits', { token: ADMIN })).json()) as {
      limits: { messageBurst: number };
      rateLimited: Record<string, number>;
    };
    expect(view.limits.messageBurst).toBe(2);
    expect(view.rateLimited.messages).toBe(1);
    const metrics = await (await hub.request('/metrics')).text();
    expect(metrics).toContain('relaykit_rate_limited_total{reason="messages"} 1');
  });

  test('a payload larger than limits.maxPayloadBytes is a 422 and is not stored', async () => {
    const res = await post(ADMIN, 'x'.repeat(2000));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RELAYKIT_ERR_PAYLOAD_TOO_LARGE');
  });

  test('a request body that stalls gets 408 after server.bodyTimeoutMs, and the hub keeps answering', async () => {
    const port = Number(new URL(hub.url).port);
    const started = performance.now();
    const status = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          'POST /messages HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"to":',
        ),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
        if (data.includes('\r\n')) {
          resolve(data.split('\r\n')[0]);
          socket.destroy();
        }
      });
      socket.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 408 Request Timeout');
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await hub.request('/health/live')).status).toBe(200);
  });
});
