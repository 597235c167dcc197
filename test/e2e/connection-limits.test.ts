/**
 * Connection caps and page sizes (the audit finding 7, rest): one caller, or one IP,
 * cannot take every WebSocket and SSE slot (SSE answers 429, WebSocket closes with
 * 4029), and a page of GET /messages stops at limits.maxPageBytes instead of loading
 * a thousand large messages at once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

const ADMIN = 'e2e-caps-admin-token';
const KEY_A = 'e2e-caps-key-a-0123456789';
const KEY_B = 'e2e-caps-key-b-0123456789';
const CONFIG = `watch: false
limits:
  connectionsPerIdentity: 2
  connectionsPerIp: 3
  maxPageBytes: 2048
auth:
  adminToken: ${ADMIN}
  apiKeys:
    - { name: a, env: KEY_A, scopes: { read: ["*"], publish: ["*"] } }
    - { name: b, env: KEY_B, scopes: { read: ["*"], publish: ["*"] } }
`;

interface Opened {
  status: number;
  close(): Promise<void>;
  response: Response;
}

forEachRuntime('connection caps and page sizes', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG, env: { KEY_A, KEY_B } });
  });
  afterAll(() => hub.dispose());

  async function stream(token: string): Promise<Opened> {
    const abort = new AbortController();
    const response = await fetch(`${hub.url}/stream/events?channels=room`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    return {
      status: response.status,
      response,
      async close() {
        abort.abort();
        await response.body?.cancel().catch(() => {});
      },
    };
  }

  /** Opens /ws with `token` and resolves with `connected` or the close code it got instead. */
  function socket(token: string): Promise<{ ws: WebSocket; outcome: 'connected' | number }> {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws?token=${token}`);
    return new Promise((resolve) => {
      ws.onmessage = (e) => {
        if ((JSON.parse(String(e.data)) as { type: string }).type === 'connected')
          resolve({ ws, outcome: 'connected' });
      };
      ws.onclose = (e) => resolve({ ws, outcome: e.code });
    });
  }

  async function openConnections(): Promise<number> {
    const view = (await (await hub.request('/admin/limits', { token: ADMIN })).json()) as { openConnections: number };
    return view.openConnections;
  }

  test('an identity over limits.connectionsPerIdentity gets 429 on SSE and close 4029 on WebSocket; others do not', async () => {
    const first = await stream(KEY_A);
    const second = await socket(KEY_A);
    expect(first.status).toBe(200);
    expect(second.outcome).toBe('connected');

    const third = await stream(KEY_A);
    expect(third.status).toBe(429);
    expect(Number(third.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await third.response.json()) as { error: { code: string; details: { reason: string } } };
    expect(body.error.code).toBe('RELAYKIT_ERR_RATE_LIMITED');
    expect(body.error.details.reason).toBe('connections');
    expect((await socket(KEY_A)).outcome).toBe(4029);

    // Another identity from the same IP still gets in (the IP holds 2 of 3).
    const other = await stream(KEY_B);
    expect(other.status).toBe(200);
    // Now the IP is full: key b's second connection is refused by the per-IP cap.
    const overIp = await socket(KEY_B);
    expect(overIp.outcome).toBe(4029);
    // The admin is not counted.
    const admin = await stream(ADMIN);
    expect(admin.status).toBe(200);

    // Closing a connection frees its slot.
    await first.close();
    second.ws.close();
    await waitFor(async () => (await openConnections()) === 1, 5000, 'the closed connections to be released');
    const again = await socket(KEY_A);
    expect(again.outcome).toBe('connected');
    again.ws.close();
    await other.close();
    await admin.close();
    await waitFor(async () => (await openConnections()) === 0, 5000, 'every connection to be released');

    const metrics = await (await hub.request('/metrics')).text();
    expect(metrics).toContain('relaykit_rate_limited_total{reason="connections"} 3');
  });

  test('a GET /messages page stops at limits.maxPageBytes and its cursor continues it', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await send(hub, { channel: 'big', type: 't', payload: 'x'.repeat(900) }, ADMIN)).id);
    const seen: number[] = [];
    let after = 0;
    let pages = 0;
    for (;;) {
      const res = await hub.request(`/messages?channel=big&limit=100&after=${after}`, { token: KEY_A });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { messages: Array<{ id: number }>; nextCursor: number };
      if (!page.messages.length) break;
      expect(page.messages.length).toBeLessThanOrEqual(2);
      seen.push(...page.messages.map((m) => m.id));
      after = page.nextCursor;
      pages++;
    }
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);

    // A single message larger than the cap still comes, alone.
    const large = await send(hub, { channel: 'large', type: 't', payload: 'y'.repeat(5000) }, ADMIN);
    await send(hub, { channel: 'large', type: 't', payload: 'z' }, ADMIN);
    const page = (await (await hub.request('/messages?channel=large', { token: KEY_A })).json()) as {
      messages: Array<{ id: number }>;
    };
    expect(page.messages.map((m) => m.id)).toEqual([large.id]);
  });
});
