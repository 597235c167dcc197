import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { type E2EHub, forEachRuntime, PROBE_PLUGIN, startHub } from './harness.ts';

const SECRET = 'an-e2e-shared-secret-of-32-bytes!';
const hs256 = (claims: Record<string, unknown>, exp = '5m', secret = SECRET) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

const probe = `plugins:\n  probe:\n    module: ${PROBE_PLUGIN}\n`;

/** Opens the probe's WebSocket and resolves with its first frame, or rejects when the upgrade is refused. */
function hello(hub: E2EHub, query: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/probe/ws${query}`);
    ws.onmessage = (event) => {
      resolve(JSON.parse(String(event.data)));
      ws.close();
    };
    ws.onerror = () => reject(new Error('refused'));
  });
}

forEachRuntime('JWT verification (jose over WebCrypto)', (runtime) => {
  describe('HS256 with a shared secret', () => {
    let hub: E2EHub;
    beforeAll(async () => {
      hub = await startHub(runtime, { config: `watch: false\nauth:\n  jwt:\n    secret: ${SECRET}\n${probe}` });
    });
    afterAll(() => hub.dispose());

    const whoami = (token?: string) => hub.request('/probe/whoami', token ? { token } : {});

    test('a valid token is verified over HTTP and on a WebSocket upgrade', async () => {
      const token = await hs256({ sub: 'agent-7' });
      const res = await whoami(token);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sub: 'agent-7' });
      expect((await hello(hub, `?channel=c&token=${token}`)).subject).toBe('agent-7');
    });

    test('expired, wrongly signed and missing tokens get 401 in the error shape', async () => {
      const expired = await whoami(await hs256({ sub: 'x' }, '-1m'));
      expect(expired.status).toBe(401);
      expect((await expired.json()).error).toMatchObject({
        code: 'RELAYKIT_ERR_UNAUTHORIZED',
        message: 'The token has expired',
      });
      const forged = await whoami(await hs256({ sub: 'x' }, '5m', 'another-secret-entirely-32-bytes!!'));
      expect(forged.status).toBe(401);
      expect((await forged.json()).error.message).toStartWith('The token is not valid');
      expect((await whoami()).status).toBe(401);
      expect((await whoami('not.a.jwt')).status).toBe(401);
      await expect(hello(hub, `?channel=c&token=${await hs256({ sub: 'x' }, '-1m')}`)).rejects.toThrow('refused');
    });
  });

  describe('RS256 with a PEM public key', () => {
    let hub: E2EHub;
    let privateKey: CryptoKey;
    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      privateKey = pair.privateKey;
      const pem = (await exportSPKI(pair.publicKey)).trim().replaceAll('\n', '\n      ');
      hub = await startHub(runtime, {
        config: `watch: false\nauth:\n  jwt:\n    issuer: e2e\n    publicKey: |\n      ${pem}\n${probe}`,
      });
    });
    afterAll(() => hub.dispose());

    test('a token signed with the private key and the right issuer is verified; a wrong issuer is not', async () => {
      const sign = (iss: string) =>
        new SignJWT({ sub: 'svc' })
          .setProtectedHeader({ alg: 'RS256' })
          .setIssuer(iss)
          .setExpirationTime('5m')
          .sign(privateKey);
      const ok = await hub.request('/probe/whoami', { token: await sign('e2e') });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: 'svc' });
      const wrong = await hub.request('/probe/whoami', { token: await sign('someone-else') });
      expect(wrong.status).toBe(401);
      const hsInstead = await hub.request('/probe/whoami', { token: await hs256({ sub: 'svc', iss: 'e2e' }) });
      expect(hsInstead.status).toBe(401);
    });
  });
});
