import { afterEach, describe, expect, test } from 'bun:test';
import { Webhook } from 'standardwebhooks';
import { generateSecret, secretKey, secretProblem, sign } from '../../../plugins/webhooks/signing.ts';
import { type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  await receiver?.stop();
});

const headersOf = (h: Headers) => Object.fromEntries(h.entries());

describe('Standard Webhooks signing', () => {
  test("reproduces the specification's published test vector", () => {
    const key = secretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(sign(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  test('generated secrets are whsec_ + base64 of the configured number of bytes', () => {
    const secret = generateSecret(32);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(secret).length).toBe(32);
    expect(secretProblem(secret)).toBeNull();
    expect(secretProblem('whsec_c2hvcnQ=')).toContain('24 to 64 bytes');
    expect(secretProblem('nope')).toContain('whsec_');
  });

  test('a delivered message verifies with the standardwebhooks reference verifier, body exactly as signed', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const endpoint = await hub.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const message = await hub.send({ channel: 'room', type: 'task.created', payload: { n: 1, text: 'héllo' } });
    await received(receiver, 1);

    const [request] = receiver.requests;
    const verified = new Webhook(endpoint.secret).verify(request.body, headersOf(request.headers)) as {
      id: string;
      type: string;
      data: { id: number; payload: unknown };
    };
    expect(verified.type).toBe('message.sent');
    expect(verified.data).toMatchObject({ id: message.id, payload: { n: 1, text: 'héllo' } });
    expect(request.headers.get('webhook-id')).toBe(verified.id);
    expect(request.headers.get('content-type')).toBe('application/json');
    // A tampered body does not verify.
    expect(() => new Webhook(endpoint.secret).verify(`${request.body} `, headersOf(request.headers))).toThrow();
  });

  test('during a rotation every attempt carries two signatures, one per secret, each verifying on its own', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub({ webhooks: { signing: { rotationGraceSeconds: 3600 } } });
    const endpoint = await hub.endpoint({ url: receiver.url, events: ['message.*'] });
    const rotated = await (
      await hub.admin(`/webhooks/endpoints/${endpoint.id}/rotate-secret`, { method: 'POST' })
    ).json();
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt)).toBe(hub.clock.now() + 3600_000);

    await hub.send({ channel: 'c' });
    await received(receiver, 1);
    const { headers, body } = receiver.requests[0];
    const signatures = (headers.get('webhook-signature') as string).split(' ');
    expect(signatures).toHaveLength(2);
    for (const [secret, signature] of [
      [rotated.secret, signatures[0]],
      [endpoint.secret, signatures[1]],
    ]) {
      new Webhook(secret).verify(body, { ...headersOf(headers), 'webhook-signature': signature });
    }

    // After the grace period only the new secret signs (the clock is an hour ahead of the
    // verifier's now, so compare with a signature computed here).
    await hub.clock.tick(3600_000 + 1);
    await hub.send({ channel: 'c' });
    await received(receiver, 2);
    const second = receiver.requests[1];
    const id = second.headers.get('webhook-id') as string;
    const timestamp = Number(second.headers.get('webhook-timestamp'));
    expect(timestamp).toBe(Math.floor(hub.clock.now() / 1000));
    expect(second.headers.get('webhook-signature')).toBe(sign(secretKey(rotated.secret), id, timestamp, second.body));
  });

  test('the secret is shown on create and rotation only, never in lists', async () => {
    hub = await startWebhookHub();
    receiver = startReceiver();
    const created = await hub.endpoint({ url: receiver.url, events: ['*'] });
    const list = await (await hub.admin('/webhooks/endpoints')).text();
    const one = await (await hub.admin(`/webhooks/endpoints/${created.id}`)).text();
    expect(list).not.toContain(created.secret);
    expect(list).not.toContain('secret"');
    expect(one).not.toContain(created.secret);
  });
});
