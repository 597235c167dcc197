/**
 * A caller without a token gets the access `auth.anonymous` gives, or everything but
 * admin in open mode. The hub builds that access once per set of rules: a reload with
 * new rules, and a first API key that ends open mode, must still change it at once.
 */
import { afterEach, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const TOKEN = 'anonymous-access-admin-token';
let t: TestHub;
afterEach(() => t?.stop());

const config = (read: string[]) =>
  `watch: false\nauth:\n  adminToken: ${TOKEN}\n  apiKeys:\n    - name: ops\n      env: OPS_KEY\n      scopes: { read: ["*"] }\n  anonymous:\n    read: ${JSON.stringify(read)}\n`;

async function send(channel: string): Promise<number> {
  const res = await t.request('/messages', {
    method: 'POST',
    token: TOKEN,
    json: { channel, type: 'anon.t', payload: 1 },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

/** The statuses an anonymous caller reads the messages `ids` with. */
async function anonymousReads(...ids: number[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => (await t.request(`/messages/${id}`)).status));
}

test('narrower anonymous rules apply from the reload on', async () => {
  t = await startTestHub({ configYaml: config(['public', 'other']), env: { OPS_KEY: 'rk_anonymous_ops_0123456789' } });
  const pub = await send('public');
  const other = await send('other');
  const secret = await send('secret');
  expect(await anonymousReads(pub, other, secret)).toEqual([200, 200, 404]);

  writeFileSync(t.configPath, config(['other']));
  const reloaded = await t.request('/admin/reload', { method: 'POST', token: TOKEN });
  expect([reloaded.status, await reloaded.text()]).toEqual([200, expect.any(String)]);
  expect(await anonymousReads(pub, other, secret)).toEqual([404, 200, 404]);
});

test('open mode ends with the first stored API key', async () => {
  t = await startTestHub({ configYaml: `watch: false\nauth:\n  adminToken: ${TOKEN}\n` });
  // In open mode a caller without a token may publish anywhere; with a key in place, only where auth.anonymous says (nowhere).
  const anonymousPost = async () =>
    (await t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'anon.t', payload: 1 } })).status;
  expect(await anonymousPost()).toBe(201);
  const created = await t.request('/admin/keys', { method: 'POST', token: TOKEN, json: { name: 'first' } });
  expect(created.status).toBe(201);
  expect(await anonymousPost()).toBe(403);
});
