import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  extendMessage,
  getRetentionStats,
  listArchivedMessages,
  listRetentionPolicies,
  sendMessage,
} from '../../clients/typescript/generated/index.ts';
import ttlPlugin from '../../plugins/ttl/index.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { waitFor } from '../helpers/hub.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: ttl', () => {
  let t: ClientHub;
  const clock = new ManualClock();
  beforeAll(async () => {
    // ttl alone, so the manual clock's timers are the sweeper's.
    t = await startClientHub({
      plugins: [ttlPlugin],
      clock,
      overrides: { plugins: { ttl: { archive: { table: true } } } },
    });
  });
  afterAll(() => t.hub.stop());

  test('policies are public; extending a message moves its expiry', async () => {
    const policies = await listRetentionPolicies({ client: t.client, query: { type: 'order.placed' } });
    expect(policies.data?.resolved?.type).toBe('order.placed');

    const sent = await sendMessage({ client: t.client, body: { channel: 'room', type: 'note', payload: {}, ttl: 60 } });
    const extended = await extendMessage({ client: t.client, path: { id: sent.data!.id }, body: { seconds: 60 } });
    expect(Date.parse(extended.data!.expiresAt!)).toBe(Date.parse(sent.data!.expiresAt!) + 60_000);

    const neither = await extendMessage({ client: t.client, path: { id: sent.data!.id }, body: {} });
    expect(neither.error?.error.code).toBe('RELAYKIT_ERR_VALIDATION');
  });

  test('an expired message shows in the archive and the statistics (admin token)', async () => {
    const sent = await sendMessage({ client: t.client, body: { channel: 'room', type: 'flash', payload: 1, ttl: 1 } });
    const before = (await getRetentionStats({ client: t.admin })).data!.sweeper.sweeps;
    clock.advance(1000);
    await waitFor(
      async () => {
        const stats = (await getRetentionStats({ client: t.admin })).data!;
        return stats.sweeper.sweeps > before && !stats.sweeper.running;
      },
      10_000,
      'the sweep',
    );
    expect((await getRetentionStats({ client: t.admin })).data?.archived).toBe(1);
    const archive = await listArchivedMessages({ client: t.admin, query: { type: 'flash' } });
    expect(archive.data?.messages.map((m) => m.id)).toEqual([sent.data!.id]);
    expect((await listArchivedMessages({ client: t.client })).response?.status).toBe(401);
  });
});
