import { afterEach, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { parseExposition, sampleValue } from './exposition.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function scrape() {
  return parseExposition(await (await t.request('/metrics')).text()).samples;
}

test('message and request counters move when messages flow', async () => {
  t = await startTestHub();
  const before = await scrape();
  const published = (s: typeof before) => sampleValue(s, 'relaykit_messages_published_total', { type: 'order' }) ?? 0;
  const posts = (s: typeof before) =>
    sampleValue(s, 'relaykit_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/messages',
      status: '201',
    }) ?? 0;
  const batches = (s: typeof before) => sampleValue(s, 'relaykit_group_commit_batch_size_count') ?? 0;

  const sent = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      t.request('/messages', { method: 'POST', json: { to: 'b', type: 'order.created', payload: i } }),
    ),
  );
  expect(sent.every((r) => r.status === 201)).toBe(true);
  const after = await scrape();
  expect(published(after) - published(before)).toBe(12);
  expect(posts(after) - posts(before)).toBe(12);
  expect(batches(after)).toBeGreaterThan(batches(before));

  // Template, never the raw path: acknowledging two messages is one series.
  await t.request('/messages/1/ack', { method: 'POST' });
  await t.request('/messages/2/ack', { method: 'POST' });
  const acked = await scrape();
  const ackSeries = acked.filter(
    (s) => s.name === 'relaykit_http_request_duration_seconds_count' && s.labels.route?.includes('ack'),
  );
  expect(ackSeries.map((s) => [s.labels.route, s.value])).toEqual([['/messages/:id/ack', 2]]);
});
