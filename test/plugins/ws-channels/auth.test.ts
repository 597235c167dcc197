import { afterEach, describe, expect, test } from 'bun:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

const SECRET = 'a-test-secret-of-32-characters!!';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

function hs256(claims: Record<string, unknown>, expiresIn: string | number = '5m'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));
}

function requiredJwt(extra: Record<string, unknown> = {}) {
  return { overrides: { auth: { adminToken: 'admin-token', jwt: { secret: SECRET, required: true } } }, ...extra };
}

describe('ws-channels authentication', () => {
  test('a valid token in the URL names the client; its channel claim is enforced', async () => {
    t = await startTestHub(requiredJwt());
    const token = await hs256({ sub: 'agent-1', channels: ['public.*'] });
    const c = await TestClient.connect(t.url, { token });
    expect(await c.next('connected')).toMatchObject({ client_id: 'agent-1', auth: 'jwt', system: false });
    expect(await c.request({ type: 'subscribe', channels: ['public.news'] })).toMatchObject({ type: 'subscribed' });
    const denied = await c.request({ type: 'subscribe', channels: ['public.ok', 'private'] });
    expect(denied).toMatchObject({ type: 'error', code: 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN' });
    // Nothing from a refused request was subscribed, and the connection stays usable.
    expect(await c.request({ type: 'get_subscriptions' })).toMatchObject({ channels: ['public.news'] });
    c.close();
  });

  test('a token with a bad signature is refused with 4001', async () => {
    t = await startTestHub(requiredJwt());
    const forged = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-of-32-characters!'));
    const c = await TestClient.connect(t.url, { token: forged });
    const closed = await c.waitClosed();
    expect(closed.code).toBe(4001);
    expect(closed.reason).toContain('not valid');
  });

  test('an expired token is refused with 4001 and says so', async () => {
    t = await startTestHub(requiredJwt());
    const expired = await hs256({ sub: 'late' }, Math.floor(Date.now() / 1000) - 60);
    const c = await TestClient.connect(t.url, { token: expired });
    expect(await c.waitClosed()).toEqual({ code: 4001, reason: 'The token has expired' });
  });

  test('without a URL token the first frame must be auth', async () => {
    t = await startTestHub(requiredJwt());
    const ok = await TestClient.connect(t.url);
    const token = await hs256({ sub: 'framed' });
    ok.send({ type: 'auth', token, id: 'a1' });
    expect(await ok.next('connected')).toMatchObject({ client_id: 'framed', id: 'a1' });
    // A second auth is an error, not a re-login.
    expect(await ok.request({ type: 'auth', token })).toMatchObject({ code: 'RELAYKIT_ERR_WS_ALREADY_AUTHENTICATED' });
    ok.close();

    // Frames sent right behind the auth frame wait for it.
    const eager = await TestClient.connect(t.url);
    eager.send({ type: 'auth', token: await hs256({ sub: 'eager' }) });
    eager.send({ type: 'subscribe', id: 's', channels: ['a'] });
    expect(await eager.next('subscribed')).toMatchObject({ id: 's' });
    eager.close();

    const rude = await TestClient.connect(t.url);
    rude.send({ type: 'subscribe', channels: ['a'] });
    expect((await rude.waitClosed()).code).toBe(4001);
  });

  test('a client that never authenticates is closed after the auth timeout', async () => {
    const clock = new ManualClock(Date.now());
    t = await startTestHub({ ...requiredJwt(), clock });
    const c = await TestClient.connect(t.url);
    await clock.tick(9_000);
    expect(c.closed).toBeNull();
    await clock.tick(1_001);
    expect(await c.waitClosed()).toMatchObject({ code: 4001 });
  });

  test('the connection closes when its token expires', async () => {
    const clock = new ManualClock(Date.now());
    t = await startTestHub({ ...requiredJwt(), clock });
    const token = await hs256({ sub: 'short' }, Math.floor(Date.now() / 1000) + 60);
    const c = await TestClient.ready(t.url, { token });
    await clock.tick(30_000);
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await clock.tick(31_000);
    expect(await c.waitClosed()).toEqual({ code: 4001, reason: 'the token expired' });
  });

  test('client_id must match the token subject', async () => {
    t = await startTestHub(requiredJwt());
    const c = await TestClient.connect(t.url, { token: await hs256({ sub: 'me' }), client_id: 'someone-else' });
    expect((await c.waitClosed()).code).toBe(4003);
  });

  test('RS256 tokens verify against the configured public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    t = await startTestHub({
      overrides: { auth: { jwt: { publicKey: await exportSPKI(publicKey), required: true } } },
    });
    const token = await new SignJWT({ sub: 'rsa-client' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(privateKey);
    const c = await TestClient.connect(t.url, { token });
    expect(await c.next('connected')).toMatchObject({ client_id: 'rsa-client', auth: 'jwt' });
    c.close();
  });

  test('RS256 tokens verify against a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({ keys: [jwk] }) });
    try {
      t = await startTestHub({
        overrides: { auth: { jwt: { jwksUrl: `http://127.0.0.1:${jwks.port}/jwks.json`, required: true } } },
      });
      const token = await new SignJWT({ sub: 'jwks-client' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setExpirationTime('5m')
        .sign(privateKey);
      const c = await TestClient.connect(t.url, { token });
      expect(await c.next('connected')).toMatchObject({ client_id: 'jwks-client' });
      c.close();
    } finally {
      jwks.stop(true);
    }
  });

  test('anonymous clients are allowed when no token is required, and may log in with a first auth frame', async () => {
    t = await startTestHub({ overrides: { auth: { jwt: { secret: SECRET } } } });
    const anon = await TestClient.ready(t.url);
    anon.send({ type: 'auth', token: await hs256({ sub: 'member', system: true }), id: 'login' });
    expect(await anon.next('connected')).toMatchObject({ client_id: 'member', auth: 'jwt', system: true, id: 'login' });
    // Direct messages now follow the new identity.
    const m = await t.hub.messages.send({ to: 'member', type: 'dm', payload: 1 });
    expect((await anon.waitForEvents(1))[0].id).toBe(m.id);
    anon.close();
  });
});
