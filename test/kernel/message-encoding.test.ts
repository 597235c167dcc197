/**
 * `POST /messages` and `GET /messages/:id` send the payload as the JSON text the hub
 * stored instead of serializing it again: the bytes must be exactly those of the
 * message serialized whole, and everything around them (status, headers, access
 * checks, error shape) unchanged.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

const ADMIN = 'encoding-admin-token';
const READER = 'rk_encoding_reader_0123456789';
const AUTH = {
  auth: {
    adminToken: ADMIN,
    apiKeys: [{ name: 'reader', env: 'READER_KEY', scopes: { read: ['visible'] } }],
  },
};

/** Payloads whose JSON text is easy to get subtly wrong. */
const PAYLOADS: unknown[] = [
  { s: 'quote " backslash \\ \u2028 \u0000 é 😀', n: [1.5e300, 0.1, -1, null, true, false], nested: { a: [{}] } },
  JSON.parse('{"__proto__":{"x":1},"":""}'),
  'a string',
  12345.678,
  null,
  [],
];

describe('messages sent as stored JSON', () => {
  test('the 201 of a send and the 200 of a read are byte for byte the message serialized whole', async () => {
    t = await startTestHub({ overrides: AUTH, env: { READER_KEY: READER } });
    for (const [i, payload] of PAYLOADS.entries()) {
      const sent = await t.request('/messages', {
        method: 'POST',
        token: ADMIN,
        json: { from: 'a', to: 'b', channel: 'visible', type: 'enc.test', payload, ...(i % 2 ? { ttl: 60 } : {}) },
      });
      expect(sent.status).toBe(201);
      expect(sent.headers.get('content-type')).toBe('application/json;charset=utf-8');
      const body = await sent.text();
      const id = (JSON.parse(body) as { id: number }).id;
      const stored = await t.hub.messages.get(id);
      expect(body).toBe(JSON.stringify(stored));
      expect(stored?.payload).toEqual(payload);

      const read = await t.request(`/messages/${id}`, { token: READER });
      expect(read.status).toBe(200);
      expect(read.headers.get('content-type')).toBe('application/json;charset=utf-8');
      expect(read.headers.get('x-request-id')).toBeString();
      expect(await read.text()).toBe(JSON.stringify(stored));
    }
  });

  test('a read after an acknowledgement carries deliveredAt; an expired message is 404', async () => {
    t = await startTestHub();
    const sent = await (
      await t.request('/messages', { method: 'POST', json: { to: 'b', type: 'enc.ack', payload: { n: 1 }, ttl: 1 } })
    ).json();
    await t.request(`/messages/${sent.id}/ack`, { method: 'POST', json: { by: 'b' } });
    const read = await (await t.request(`/messages/${sent.id}`)).text();
    expect(read).toBe(JSON.stringify(await t.hub.messages.get(sent.id)));
    expect(JSON.parse(read).deliveredAt).toBeString();
    // Expiry is checked by the read itself (the clock passes the message's expiresAt).
    const expired = await t.hub.messages.retention.setExpiry(sent.id, Date.now() - 1);
    expect(expired).toBeNull();
    const gone = await t.request(`/messages/${sent.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({
      error: { code: 'RELAYKIT_ERR_MESSAGE_NOT_FOUND', message: `No message has id ${sent.id}` },
    });
  });

  test('a message the caller may not read is reported missing, with the one error shape', async () => {
    t = await startTestHub({ overrides: AUTH, env: { READER_KEY: READER } });
    const hidden = await (
      await t.request('/messages', {
        method: 'POST',
        token: ADMIN,
        json: { channel: 'hidden', type: 'enc.hidden', payload: 1 },
      })
    ).json();
    const refused = await t.request(`/messages/${hidden.id}`, { token: READER });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({
      error: { code: 'RELAYKIT_ERR_MESSAGE_NOT_FOUND', message: `No message has id ${hidden.id}` },
    });
    expect((await t.request(`/messages/${hidden.id}`, { token: ADMIN })).status).toBe(200);
  });

  test('a replayed send answers the original bytes with Idempotent-Replayed', async () => {
    t = await startTestHub();
    const send = () =>
      t.request('/messages', {
        method: 'POST',
        headers: { 'idempotency-key': 'enc-key-1' },
        json: { channel: 'c', type: 'enc.once', payload: { deep: [1, { two: 2 }] } },
      });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(await again.text()).toBe(await first.text());
  });
});
