/**
 * Webhook endpoint secrets at rest (the audit finding 10): custom headers (receivers'
 * API keys) are never shown back, and with `security.encryptionKey` secrets and headers
 * are sealed with AES-256-GCM in the database; plaintext rows from before the key and
 * rows sealed under a rotated-out key are sealed again under the current key at start.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Sealer } from '../../../plugins/webhooks/sealing.ts';
import { query, type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

let hub: WebhookHub | null = null;
let receiver: Receiver;
afterEach(async () => {
  await hub?.stop();
  hub = null;
  await receiver?.stop();
});

const TOKEN = 'Bearer receiver-api-key-0123';
const newKey = () => randomBytes(32).toString('base64');

interface StoredRow {
  secret: string;
  headers: string;
}

const rowsOf = (dbPath: string) => query<StoredRow>(dbPath, 'SELECT secret, headers FROM webhook_endpoints');

describe('webhook endpoint secrets', () => {
  test('custom headers are shown by name only, in every response', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const created = await hub.endpoint({ url: receiver.url, events: ['*'], headers: { authorization: TOKEN } });
    expect(created.headers).toEqual(['authorization']);
    const responses = [
      await hub.admin('/webhooks/endpoints'),
      await hub.admin(`/webhooks/endpoints/${created.id}`),
      await hub.admin(`/webhooks/endpoints/${created.id}`, { method: 'PATCH', json: { description: 'x' } }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('authorization');
      expect(text).not.toContain('receiver-api-key');
    }
    // The value still reaches the receiver.
    await hub.send({ channel: 'c' });
    await received(receiver, 1);
    expect(receiver.requests[0].headers.get('authorization')).toBe(TOKEN);
  });

  test('with security.encryptionKey, secrets and headers are sealed in the database and deliveries still sign', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub({ webhooks: { security: { encryptionKey: newKey() } } });
    const created = await hub.endpoint({ url: receiver.url, events: ['*'], headers: { authorization: TOKEN } });
    const [row] = rowsOf(hub.dbPath);
    expect(row.secret.startsWith('enc:v1:')).toBe(true);
    expect(row.secret).not.toContain(created.secret.slice(6));
    expect(row.headers).not.toContain('receiver-api-key');
    expect(row.headers).not.toContain('authorization');

    await hub.send({ channel: 'c' });
    await received(receiver, 1);
    const delivery = receiver.requests[0];
    expect(delivery.headers.get('authorization')).toBe(TOKEN);
    expect(() => new Webhook(created.secret).verify(delivery.body, Object.fromEntries(delivery.headers))).not.toThrow();
  });

  test('plaintext rows are sealed at the next start, and a rotated key still opens rows sealed before it', async () => {
    receiver = startReceiver();
    hub = await startWebhookHub();
    const { dir } = hub;
    const created = await hub.endpoint({ url: receiver.url, events: ['*'], headers: { authorization: TOKEN } });
    expect(rowsOf(hub.dbPath)[0].secret).toBe(created.secret);
    await hub.stop(true);

    const first = newKey();
    hub = await startWebhookHub({ dir, webhooks: { security: { encryptionKey: first } } });
    const sealedFirst = rowsOf(hub.dbPath)[0];
    expect(sealedFirst.secret.startsWith('enc:v1:')).toBe(true);
    expect(sealedFirst.headers).not.toContain('receiver-api-key');
    await hub.stop(true);

    const second = newKey();
    hub = await startWebhookHub({
      dir,
      webhooks: { security: { encryptionKey: second, previousEncryptionKeys: [first] } },
    });
    const sealedSecond = rowsOf(hub.dbPath)[0];
    expect(sealedSecond.secret.startsWith('enc:v1:')).toBe(true);
    expect(sealedSecond.secret.split(':')[2]).not.toBe(sealedFirst.secret.split(':')[2]);
    // Opened with the second key alone: the rotation is complete.
    expect(new Sealer(second).open(sealedSecond.secret)).toBe(created.secret);
    await hub.send({ channel: 'c' });
    await received(receiver, 1);
    expect(receiver.requests[0].headers.get('authorization')).toBe(TOKEN);
    expect(() =>
      new Webhook(created.secret).verify(receiver.requests[0].body, Object.fromEntries(receiver.requests[0].headers)),
    ).not.toThrow();
    await hub.stop(true);
    hub = null;

    // A key that opens none of the rows stops the plugin with the option named.
    await expect(startWebhookHub({ dir, webhooks: { security: { encryptionKey: newKey() } } })).rejects.toThrow(
      /previousEncryptionKeys/,
    );
  });

  test('a malformed encryption key is refused with the option named', () => {
    expect(() => new Sealer('too-short')).toThrow(/security\.encryptionKey/);
    expect(() => new Sealer(newKey(), ['nope'])).toThrow(/previousEncryptionKeys\[0\]/);
  });
});
