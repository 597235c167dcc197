/**
 * Browsers, safely (the audit finding 10): CORS only for the origins in
 * server.cors.origins (credentials only for those listed by name), preflights
 * answered, and a WebSocket from an unlisted origin without a token refused, so a web
 * page cannot ride on a browser's network position into a hub open on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, startHub } from './harness.ts';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

/** Opens /ws with an Origin header; resolves `open` or the failure. */
function wsFrom(hub: E2EHub, origin: string, query = ''): Promise<'open' | 'refused'> {
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws${query}`, { headers: { origin } } as never);
  return new Promise((resolve) => {
    ws.onopen = () => {
      ws.close();
      resolve('open');
    };
    ws.onerror = () => resolve('refused');
  });
}

forEachRuntime('browsers and origins', (runtime) => {
  describe('with no origins listed (the default)', () => {
    let hub: E2EHub;
    beforeAll(async () => {
      hub = await startHub(runtime, { config: 'watch: false\n' });
    });
    afterAll(() => hub.dispose());

    test('a cross-origin page cannot read answers, its preflight is refused, and its WebSocket is refused', async () => {
      const res = await hub.request('/messages?channel=c', { headers: { origin: EVIL } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await hub.request('/messages', {
        method: 'OPTIONS',
        headers: { origin: EVIL, 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(403);
      expect(((await pre.json()) as { error: { code: string } }).error.code).toBe('RELAYKIT_ERR_FORBIDDEN');
      expect(await wsFrom(hub, EVIL)).toBe('refused');
      // The hub's own pages (same origin) and clients without an Origin are not affected.
      expect(await wsFrom(hub, hub.url)).toBe('open');
    });
  });

  describe('with origins listed', () => {
    let hub: E2EHub;
    const KEY = 'e2e-browsers-key-0123456789';
    beforeAll(async () => {
      hub = await startHub(runtime, {
        config: `watch: false
server:
  cors:
    origins: ["${APP}"]
    maxAgeSeconds: 120
auth:
  apiKeys:
    - { name: page, env: PAGE_KEY, scopes: { read: ["*"], publish: ["*"] } }
`,
        env: { PAGE_KEY: KEY },
      });
    });
    afterAll(() => hub.dispose());

    test('a listed origin gets its preflight, CORS headers with credentials on REST and SSE, and its WebSocket', async () => {
      const pre = await hub.request('/messages', {
        method: 'OPTIONS',
        headers: {
          origin: APP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
      expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
      expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
      expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(pre.headers.get('access-control-max-age')).toBe('120');

      const posted = await hub.request('/messages', {
        method: 'POST',
        token: KEY,
        headers: { origin: APP },
        json: { channel: 'c', type: 't', payload: 1 },
      });
      expect(posted.status).toBe(201);
      expect(posted.headers.get('access-control-allow-origin')).toBe(APP);
      expect(posted.headers.get('access-control-expose-headers')).toContain('retry-after');
      expect(posted.headers.get('access-control-expose-headers')).toContain('idempotent-replayed');

      const abort = new AbortController();
      const sse = await fetch(`${hub.url}/stream/events?channels=c&token=${KEY}`, {
        headers: { origin: APP },
        signal: abort.signal,
      });
      expect(sse.status).toBe(200);
      expect(sse.headers.get('access-control-allow-origin')).toBe(APP);
      abort.abort();

      expect(await wsFrom(hub, APP)).toBe('open');
    });

    test('an unlisted origin gets no CORS headers; its WebSocket opens only with a token', async () => {
      const res = await hub.request('/messages?channel=c', { token: KEY, headers: { origin: EVIL } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await wsFrom(hub, EVIL)).toBe('refused');
      expect(await wsFrom(hub, EVIL, `?token=${KEY}`)).toBe('open');
    });
  });
});
