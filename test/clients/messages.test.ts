import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ackMessage, getMessage, listMessages, sendMessage } from '../../clients/typescript/generated/index.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: messages', () => {
  let t: ClientHub;
  beforeAll(async () => {
    t = await startClientHub();
  });
  afterAll(() => t.hub.stop());

  test('sends, reads, pages through and acknowledges messages', async () => {
    const { client } = t;
    const sent = await sendMessage({
      client,
      body: { from: 'agent-a', to: 'agent-b', channel: 'tasks', type: 'task.created', payload: { n: 1 }, ttl: 60 },
    });
    expect(sent.response?.status).toBe(201);
    const message = sent.data!;
    expect(message).toMatchObject({ from: 'agent-a', to: 'agent-b', channel: 'tasks', type: 'task.created' });
    expect(typeof message.id).toBe('number');
    expect(message.expiresAt).not.toBeNull();
    await sendMessage({ client, body: { channel: 'tasks', type: 'task.created', payload: { n: 2 } } });

    const one = await getMessage({ client, path: { id: message.id } });
    expect(one.data?.payload).toEqual({ n: 1 });

    const first = await listMessages({ client, query: { channel: 'tasks', limit: 1 } });
    expect(first.data?.messages.map((m) => m.payload)).toEqual([{ n: 1 }]);
    const next = await listMessages({ client, query: { channel: 'tasks', after: first.data!.nextCursor! } });
    expect(next.data?.messages.map((m) => m.payload)).toEqual([{ n: 2 }]);

    const acked = await ackMessage({ client, path: { id: message.id }, body: { by: 'agent-b' } });
    expect(acked.data?.deliveredAt).toBeString();
  });

  test('errors come back typed, with their catalogue code', async () => {
    const missing = await getMessage({ client: t.client, path: { id: 999_999 } });
    expect(missing.response?.status).toBe(404);
    expect(missing.error?.error.code).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');

    const invalid = await sendMessage({ client: t.client, body: { type: 'no.recipient', payload: null } });
    expect(invalid.response?.status).toBe(422);
    expect(invalid.error?.error.code).toBe('RELAYKIT_ERR_VALIDATION');
  });
});
