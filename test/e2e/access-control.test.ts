/**
 * One identity model on every door (REST, WebSocket, SSE, plugin routes): the admin
 * token, API keys from config (hash or environment) and JWTs mean the same thing
 * everywhere, and nobody reads or writes as a client it is not.
 */
import { afterEach, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { type E2EHub, forEachRuntime, startHub, waitFor } from './harness.ts';

const ADMIN = 'e2e-access-admin-token';
const SECRET = 'e2e-access-jwt-secret-0123456789';
const PLANNER_KEY = 'rk_planner_0123456789abcdef';
const READER_KEY = 'rk_reader_from_the_environment';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const CONFIG = `watch: false
auth:
  adminToken: ${ADMIN}
  jwt:
    secret: ${SECRET}
  apiKeys:
    - name: planner
      hash: sha256:${sha(PLANNER_KEY)}
      scopes: { publish: ["tasks"], to: ["*"], actAs: ["planner"] }
    - name: reader
      env: READER_KEY
      scopes: { read: ["tasks"], actAs: ["coder"] }
`;

const jwt = (claims: Record<string, unknown>, sub?: string) => {
  const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m');
  if (sub) token.setSubject(sub);
  return token.sign(new TextEncoder().encode(SECRET));
};

forEachRuntime('access control', (runtime) => {
  let hub: E2EHub | null = null;
  afterEach(async () => {
    await hub?.dispose();
    hub = null;
  });
  const start = async () => {
    hub = await startHub(runtime, { config: CONFIG, env: { READER_KEY } });
    return hub;
  };
  const post = (h: E2EHub, json: unknown, token?: string) =>
    h.request('/messages', { method: 'POST', json, ...(token ? { token } : {}) });

  test('rest without a credential cannot read a client inbox, send as anyone or ack (the audit finding 1)', async () => {
    const h = await start();
    const sent = await post(h, { to: 'coder', type: 'task.created', payload: { n: 1 } }, PLANNER_KEY);
    expect(sent.status).toBe(201);
    const message = (await sent.json()) as { id: number; from: string };
    // `from` is the key's identity, never a chosen one.
    expect(message.from).toBe('key:planner');

    expect((await h.request('/messages?client=coder')).status).toBe(403);
    expect((await h.request('/messages')).status).toBe(403);
    expect((await h.request(`/messages/${message.id}`)).status).toBe(404);
    expect((await post(h, { from: 'planner', to: 'coder', type: 'spoof', payload: 1 })).status).toBe(403);
    // A message the caller may not read is missing to it: ack and extend are 404.
    const ack = await h.request(`/messages/${message.id}/ack`, { method: 'POST', json: { by: 'coder' } });
    expect(ack.status).toBe(404);
    const extend = await h.request(`/messages/${message.id}/extend`, { method: 'POST', json: { seconds: 60 } });
    expect(extend.status).toBe(404);
    // Nothing was written by the refused requests.
    const all = await h.request('/messages', { token: ADMIN });
    expect(((await all.json()) as { messages: unknown[] }).messages).toHaveLength(1);
  });

  test('api keys: scopes decide publish, read, act-as and ack; a key from the environment works', async () => {
    const h = await start();
    expect((await post(h, { channel: 'tasks', type: 't', payload: 1 }, PLANNER_KEY)).status).toBe(201);
    expect((await post(h, { channel: 'secret', type: 't', payload: 1 }, PLANNER_KEY)).status).toBe(403);
    expect((await post(h, { from: 'planner', to: 'coder', type: 't', payload: 2 }, PLANNER_KEY)).status).toBe(201);
    expect((await post(h, { from: 'coder', to: 'coder', type: 't', payload: 3 }, PLANNER_KEY)).status).toBe(403);

    const inbox = await h.request('/messages?client=coder', { token: READER_KEY });
    const { messages } = (await inbox.json()) as { messages: Array<{ id: number; from: string }> };
    expect(messages.map((m) => m.from)).toEqual(['planner']);
    expect((await h.request('/messages?channel=tasks', { token: READER_KEY })).status).toBe(200);
    expect((await h.request('/messages?client=planner', { token: READER_KEY })).status).toBe(403);
    expect((await post(h, { channel: 'tasks', type: 't', payload: 1 }, READER_KEY)).status).toBe(403);
    const acked = await h.request(`/messages/${messages[0].id}/ack`, { method: 'POST', token: READER_KEY, json: {} });
    expect(acked.status).toBe(200);
    expect(((await acked.json()) as { deliveredAt: string | null }).deliveredAt).not.toBeNull();
    // A wrong key is a 401, not anonymous access.
    expect((await h.request('/messages?channel=tasks', { token: 'rk_not_a_key' })).status).toBe(401);
    // Plugin admin routes accept no client key.
    expect((await h.request('/ttl/stats', { token: READER_KEY })).status).toBe(401);
  });

  test('jwt: sub is the client id on rest, sse and websocket; a token without sub never picks one', async () => {
    const h = await start();
    const alice = await jwt({ channels: ['room'], publish: ['room'], to: ['bob'] }, 'alice');
    const sent = await post(h, { channel: 'room', to: 'bob', type: 'hi', payload: 1 }, alice);
    expect(((await sent.json()) as { from: string }).from).toBe('alice');
    expect((await post(h, { to: 'carol', type: 'hi', payload: 1 }, alice)).status).toBe(403);
    expect((await h.request('/messages?client=bob', { token: alice })).status).toBe(403);
    expect((await h.request('/messages?client=alice', { token: alice })).status).toBe(200);

    const noSub = await jwt({ channels: ['room'] });
    const sse = await fetch(`${h.url}/stream/events?client_id=bob&token=${noSub}`);
    expect(sse.status).toBe(403);
    await sse.body?.cancel();
    const anonymousSse = await fetch(`${h.url}/stream/events?client_id=bob`);
    expect(anonymousSse.status).toBe(403);
    await anonymousSse.body?.cancel();

    for (const query of [`?client_id=bob&token=${noSub}`, '?client_id=bob']) {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws${query}`);
      const closed = new Promise<number>((resolve) => {
        ws.onclose = (e) => resolve(e.code);
      });
      expect(await closed).toBe(4003);
    }
    // Without client_id, a token without sub gets a generated id.
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws?token=${noSub}`);
    const frames: Array<{ type: string; client_id?: string }> = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await waitFor(() => frames.length > 0, 5000, 'the connected frame');
    expect(frames[0].type).toBe('connected');
    expect(frames[0].client_id).toMatch(/^[0-9a-f-]{36}$/);
    ws.close();
  });

  test('the admin token is refused in a websocket url and accepted in the auth frame', async () => {
    const h = await start();
    const inUrl = new WebSocket(`${h.url.replace('http', 'ws')}/ws?token=${ADMIN}`);
    const code = await new Promise<number>((resolve) => {
      inUrl.onclose = (e) => resolve(e.code);
    });
    expect(code).toBe(4001);
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws`);
    const frames: Array<{ type: string; auth?: string }> = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    await waitFor(() => frames.length > 0, 5000, 'the anonymous connected frame');
    ws.send(JSON.stringify({ type: 'auth', token: ADMIN }));
    await waitFor(() => frames.some((f) => f.auth === 'admin'), 5000, 'the admin connected frame');
    ws.close();
  });
});
