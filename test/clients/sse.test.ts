import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  broadcastSse,
  getSseStats,
  listSseClients,
  openSseStream,
  sendToSseClient,
} from '../../clients/typescript/generated/index.ts';
import { waitFor } from '../helpers/hub.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: sse', () => {
  let t: ClientHub;
  beforeAll(async () => {
    t = await startClientHub();
  });
  afterAll(() => t.hub.stop());

  test('the generated SSE client receives what broadcastSse and sendToSseClient send', async () => {
    const events: Array<{ event?: string; id?: string; data: unknown }> = [];
    const { stream } = await openSseStream({
      client: t.client,
      query: { client_id: 'reader', channels: 'news' },
      sseMaxRetryAttempts: 1,
      onSseEvent: (e) => events.push({ event: e.event, id: e.id, data: e.data }),
    });
    // Read until the direct message arrives; leaving the loop ends the generator (the hub closes the stream at stop).
    const reading = (async () => {
      for await (const _ of stream) if (events.some((e) => e.event === 'dm')) break;
    })();
    await waitFor(() => events.some((e) => e.event === 'relaykit.connected'), 5000, 'relaykit.connected');

    const clients = await listSseClients({ client: t.admin });
    expect(clients.data?.clients.map((c) => c.client_id)).toEqual(['reader']);
    expect((await getSseStats({ client: t.client })).data?.streams).toBe(1);

    const broadcast = await broadcastSse({
      client: t.admin,
      body: { type: 'headline', data: { n: 1 }, channel: 'news' },
    });
    expect(broadcast.data?.streams).toBe(1);
    const direct = await sendToSseClient({ client: t.admin, body: { client_id: 'reader', type: 'dm', data: 'hi' } });
    expect(direct.response?.status).toBe(201);

    await reading;
    const received = events.filter((e) => e.id !== undefined).map((e) => [e.event, Number(e.id)]);
    expect(received).toEqual([
      ['headline', broadcast.data!.message.id],
      ['dm', direct.data!.message.id],
    ]);
  });

  test('the management operations need the admin token: a typed 401 without it', async () => {
    const refused = await broadcastSse({ client: t.client, body: { type: 'x', data: null } });
    expect(refused.response?.status).toBe(401);
    expect(refused.error?.error.code).toBe('RELAYKIT_ERR_UNAUTHORIZED');
  });
});
