/**
 * On Bun, the app's GET routes are served by Bun's own router: the requests skip the
 * hub's `fetch` handler and Elysia's router but must behave exactly as before (auth,
 * the one error shape, request ids, metrics) and follow every hot swap.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { SignJWT } from 'jose';
import { builtinPlugins } from '../../plugins/index.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';
import type { NativeRoutes, RuntimeAdapter } from '../../src/runtime/types.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { childPlugin, echoPlugin } from '../helpers/plugins.ts';
import { gatePlugin, withPlugins } from '../plugins/health/fixtures.ts';

const TOKEN = 'native-routes-admin-token';
const READER = 'rk_native_reader_0123456789';
let t: TestHub;
let general: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  await general?.stop();
  general = undefined;
});

/** Bun's runtime without its router, as on Deno: every request goes through `fetch`. */
const generalRuntime: RuntimeAdapter = {
  ...bunRuntime,
  async serve(options) {
    const server = await bunRuntime.serve(options);
    return {
      hostname: server.hostname,
      port: server.port,
      publish: (topic, text) => server.publish(topic, text),
      subscriberCount: (topic) => server.subscriberCount(topic),
      stop: (force) => server.stop(force),
    };
  },
};

/** Bun's runtime, counting the requests that reach the hub's `fetch` and the route sets installed. */
function countingRuntime() {
  const seen = { fetched: 0, installed: [] as string[][] };
  const runtime: RuntimeAdapter = {
    ...bunRuntime,
    async serve(options) {
      const server = await bunRuntime.serve({
        ...options,
        fetch(request, info) {
          seen.fetched++;
          return options.fetch(request, info);
        },
      });
      return {
        hostname: server.hostname,
        port: server.port,
        publish: (topic, text) => server.publish(topic, text),
        subscriberCount: (topic) => server.subscriberCount(topic),
        stop: (force) => server.stop(force),
        nativeRoutes(routes: NativeRoutes) {
          seen.installed.push(Object.keys(routes));
          server.nativeRoutes?.(routes);
        },
      };
    },
  };
  return { runtime, seen };
}

const JWT_SECRET = 'native-routes-jwt-secret-0123456789';
const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));

/**
 * A plugin that hooks into every request of the app, as a tracing or policy plugin
 * would (Elysia runs `onRequest` hooks before routing, so for routes registered before
 * the plugin's too): it refuses requests carrying `x-hooked-refuse`.
 */
const hookingPlugin = definePlugin({
  name: 'hooking',
  options: Type.Object({}, { default: {} }),
  setup() {
    return {
      routes: () =>
        new Elysia({ name: 'relaykit-hooking' })
          .onRequest(({ request }) => {
            if (request.headers.get('x-hooked-refuse')) return new Response('refused by the hook', { status: 418 });
          })
          .get('/hooking', () => 'hooked'),
    };
  },
});

const CONFIG = `watch: false
auth:
  adminToken: ${TOKEN}
  jwt:
    secret: ${JWT_SECRET}
    required: true
  apiKeys:
    - name: reader
      env: READER_KEY
      scopes: { read: ["visible"] }
`;

/** Posts one message on `visible` as the admin; resolves with it. */
async function postVisible(): Promise<{ id: number }> {
  const res = await t.request('/messages', {
    method: 'POST',
    token: TOKEN,
    json: { channel: 'visible', type: 'x', payload: 1 },
  });
  expect(res.status).toBe(201);
  return res.json();
}

describe('GET routes on the runtime router', () => {
  test('GET /messages/:id skips fetch and still checks the caller, with the one error shape', async () => {
    const { runtime, seen } = countingRuntime();
    t = await startTestHub({ runtime, configYaml: CONFIG, env: { READER_KEY: READER } });
    expect(seen.installed.at(-1)).toContain('/messages/:id');
    const send = (channel: string) =>
      t.request('/messages', {
        method: 'POST',
        token: TOKEN,
        json: { channel, type: 'native.t', payload: { channel } },
      });
    const visible = await (await send('visible')).json();
    const hidden = await (await send('hidden')).json();

    const before = seen.fetched;
    const read = await t.request(`/messages/${visible.id}`, { token: READER, headers: { 'x-request-id': 'native-1' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('x-request-id')).toBe('native-1');
    expect(await read.json()).toMatchObject({ id: visible.id, payload: { channel: 'visible' } });

    const anonymous = await t.request(`/messages/${visible.id}`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
    const refused = await t.request(`/messages/${hidden.id}`, { token: READER });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({
      error: { code: 'RELAYKIT_ERR_MESSAGE_NOT_FOUND', message: `No message has id ${hidden.id}` },
    });
    const missing = await t.request('/messages/999999', { token: TOKEN });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');
    // Elysia's parameter checks and the route's own, as through the general path.
    const odd = {
      '0x10': 'RELAYKIT_ERR_VALIDATION',
      '%31': 'RELAYKIT_ERR_VALIDATION',
      abc: 'RELAYKIT_ERR_BAD_REQUEST',
    };
    for (const [id, code] of Object.entries(odd)) {
      const bad = await t.request(`/messages/${id}`, { token: TOKEN });
      expect([bad.status, (await bad.json()).error.code]).toEqual([
        code === 'RELAYKIT_ERR_VALIDATION' ? 422 : 400,
        code,
      ]);
    }
    // None of these went through the fetch handler: the runtime's router served them.
    expect(seen.fetched).toBe(before);

    const metrics = await (await t.request('/metrics', { token: TOKEN })).text();
    expect(metrics).toContain(
      'relaykit_http_request_duration_seconds_count{method="GET",route="/messages/:id",status="200"} 1',
    );
    expect(metrics).toContain(
      'relaykit_http_request_duration_seconds_count{method="GET",route="/messages/:id",status="401"} 1',
    );
  });

  test('HEAD, upgrades and other methods on a routed path take the general path', async () => {
    const { runtime, seen } = countingRuntime();
    t = await startTestHub({ runtime, configYaml: CONFIG, env: { READER_KEY: READER } });
    const sent = await postVisible();
    const before = seen.fetched;
    const head = await t.request(`/messages/${sent.id}`, { method: 'HEAD', token: TOKEN });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const upgrade = await t.request(`/messages/${sent.id}`, {
      token: TOKEN,
      headers: { upgrade: 'websocket', connection: 'upgrade' },
    });
    expect(upgrade.status).toBe(404);
    expect((await upgrade.json()).error.code).toBe('RELAYKIT_ERR_ROUTE_NOT_FOUND');
    const del = await t.request(`/messages/${sent.id}`, { method: 'DELETE', token: TOKEN });
    expect(del.status).toBe(404);
    expect((await del.json()).error.code).toBe('RELAYKIT_ERR_ROUTE_NOT_FOUND');
    // Bun's router hands HEAD and upgrades on a GET path to the route's handler, which passes
    // them to the general path in-process; only the DELETE reached `fetch`.
    expect(seen.fetched).toBe(before + 1);
    const metrics = await (await t.request('/metrics', { token: TOKEN })).text();
    expect(metrics).toContain(
      'relaykit_http_request_duration_seconds_count{method="HEAD",route="unmatched",status="200"} 1',
    );
  });

  test('a plugin GET route follows hot swaps: gone when disabled, back and reconfigured when enabled', async () => {
    const { runtime, seen } = countingRuntime();
    t = await startTestHub({
      runtime,
      plugins: [echoPlugin, childPlugin],
      configYaml: `auth:\n  adminToken: ${TOKEN}\nwatch: false\nplugins:\n  echo:\n    enabled: true\n`,
    });
    const patch = (body: unknown) => t.request('/admin/plugins/echo', { method: 'PATCH', json: body, token: TOKEN });
    expect(seen.installed.at(-1)).toContain('/echo');
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'hello' });

    expect((await patch({ enabled: false })).status).toBe(200);
    expect(seen.installed.at(-1)).not.toContain('/echo');
    const gone = await t.request('/echo');
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe('RELAYKIT_ERR_ROUTE_NOT_FOUND');

    expect((await patch({ enabled: true, options: { greeting: 'hola' } })).status).toBe(200);
    expect(seen.installed.at(-1)).toContain('/echo');
    const fetchedBefore = seen.fetched;
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'hola' });
    expect(seen.fetched).toBe(fetchedBefore);
  });

  test('every answer is the one the general path gives: status, headers (CORS too) and body, byte for byte', async () => {
    const ORIGIN = 'https://app.example.com';
    const config = `${CONFIG}server:\n  cors:\n    origins: ["${ORIGIN}"]\n`;
    // Two hubs on the same clock and fresh databases: the same requests give the same ids and times.
    const start = Date.UTC(2026, 0, 1);
    t = await startTestHub({ configYaml: config, env: { READER_KEY: READER }, clock: new ManualClock(start) });
    const plainHub = await startTestHub({
      runtime: generalRuntime,
      configYaml: config,
      env: { READER_KEY: READER },
      clock: new ManualClock(start),
    });
    general = plainHub;
    expect(t.hub.url).not.toBe(plainHub.hub.url);
    type Init = Parameters<TestHub['request']>[1];
    const answer = async (hub: TestHub, path: string, init: Init) => {
      const response = await hub.request(path, init);
      const headers = [...response.headers].filter(([name]) => name !== 'date' && name !== 'x-request-id');
      const body = (await response.text()).replaceAll(hub.url, 'HUB');
      return { status: response.status, headers: headers.sort(), body };
    };
    const same = async (path: string, init: Init = {}) => {
      const [native, plain] = [await answer(t, path, init), await answer(plainHub, path, init)];
      expect({ path, ...native }).toEqual({ path, ...plain });
      return native;
    };
    const withOrigin = { origin: ORIGIN };
    const send = (channel: string, headers: Record<string, string> = {}) =>
      same('/messages', {
        method: 'POST',
        token: TOKEN,
        headers: { ...withOrigin, ...headers },
        json: { channel, type: 'native.parity', payload: { channel, text: 'é \u2028 "q"', n: [1.5, null] } },
      });
    expect((await send('visible')).status).toBe(201);
    expect((await send('hidden')).status).toBe(201);
    expect((await send('visible', { 'idempotency-key': 'parity-1' })).status).toBe(201);
    const replay = await send('visible', { 'idempotency-key': 'parity-1' });
    expect(replay.headers).toContainEqual(['idempotent-replayed', 'true']);

    const read = await same('/messages/1', { token: READER, headers: withOrigin });
    expect(read.status).toBe(200);
    expect(read.headers).toContainEqual(['access-control-allow-origin', ORIGIN]);
    expect(JSON.parse(read.body)).toMatchObject({
      id: 1,
      channel: 'visible',
      createdAt: new Date(start).toISOString(),
    });
    // The one JSON content type: the message route's is that of the routes Elysia serializes.
    const list = await same('/messages?channel=visible', { token: READER, headers: withOrigin });
    const contentType = (answer: { headers: string[][] }) => answer.headers.find(([name]) => name === 'content-type');
    expect(contentType(read)).toEqual(contentType(list));

    expect((await same('/messages/1?unused=1', { token: READER })).status).toBe(200);
    // A JWT caller: its token is verified (a promise) before the read, on both paths.
    const reader = await jwt({ sub: 'jwt-reader', scopes: { read: ['visible'] } });
    expect((await same('/messages/1', { token: reader, headers: withOrigin })).status).toBe(200);
    await same('/messages/2', { token: reader });
    expect((await same('/messages/1', { token: `${reader}x` })).status).toBe(401);
    expect((await same('/messages/1', { headers: withOrigin })).status).toBe(401);
    expect((await same('/messages/1', { token: 'not-a-token', headers: withOrigin })).status).toBe(401);
    expect((await same('/messages/2', { token: READER, headers: withOrigin })).status).toBe(404);
    expect((await same('/messages/99', { token: TOKEN })).status).toBe(404);
    for (const odd of ['0', '01', '0x10', '%31', '1e3', '9007199254740993', 'abc', '1%2F2']) {
      expect((await same(`/messages/${odd}`, { token: TOKEN })).status).toBeGreaterThanOrEqual(400);
    }
    await same('/messages/1/', { token: TOKEN });
    await same('/messages/1', { token: TOKEN, headers: { origin: 'https://elsewhere.example.com' } });
    const preflight = await same('/messages/1', {
      method: 'OPTIONS',
      headers: {
        ...withOrigin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    // Other GET routes the runtime router serves: the health probe and the documents.
    await same('/health/live');
    await same('/openapi/json');
    await same('/nothing/here', { token: TOKEN });
  });

  test("a plugin's lifecycle hook runs on GET /messages/:id, served by the runtime router too", async () => {
    const { runtime, seen } = countingRuntime();
    t = await startTestHub({
      runtime,
      plugins: [...builtinPlugins, hookingPlugin],
      configYaml: `${CONFIG}plugins:\n  hooking:\n    enabled: true\n`,
      env: { READER_KEY: READER },
    });
    const sent = await postVisible();
    const before = seen.fetched;
    const refused = await t.request(`/messages/${sent.id}`, { token: TOKEN, headers: { 'x-hooked-refuse': '1' } });
    expect([refused.status, await refused.text()]).toEqual([418, 'refused by the hook']);
    const read = await t.request(`/messages/${sent.id}`, { token: TOKEN });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: sent.id, payload: 1 });
    expect(seen.fetched).toBe(before);
    // Disabled: the hook is gone and the route answers as before.
    const patched = await t.request('/admin/plugins/hooking', {
      method: 'PATCH',
      json: { enabled: false },
      token: TOKEN,
    });
    expect(patched.status).toBe(200);
    const unhooked = await t.request(`/messages/${sent.id}`, { token: TOKEN, headers: { 'x-hooked-refuse': '1' } });
    expect(unhooked.status).toBe(200);
  });

  test('while the hub starts, the runtime router holds no route yet and every GET answers 503 starting', async () => {
    const { runtime, seen } = countingRuntime();
    const gate = gatePlugin();
    const starting = startTestHub({ runtime, plugins: withPlugins(gate.plugin) });
    const base = `http://127.0.0.1:${await gate.port}`;
    // The app is built once, after the plugins have started: until then nothing is handed to the router.
    expect(seen.installed).toEqual([]);
    const before = seen.fetched;
    const early = await fetch(`${base}/openapi/json`);
    expect([early.status, early.headers.get('retry-after')]).toEqual([503, '1']);
    expect((await early.json()).error.code).toBe('RELAYKIT_ERR_UNAVAILABLE');
    expect(seen.fetched).toBe(before + 1);
    gate.open();
    t = await starting;
    expect(seen.installed).toHaveLength(1);
    expect(seen.installed[0]).toContain('/openapi/json');
    const served = seen.fetched;
    expect((await fetch(`${base}/openapi/json`)).status).toBe(200);
    expect(seen.fetched).toBe(served);
  });
});
