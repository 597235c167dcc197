import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { post, range, type WatchedSource, waitForIds, watch } from './helpers.ts';

const hubs: TestHub[] = [];
let source: WatchedSource | undefined;
afterEach(async () => {
  source?.close();
  for (const h of hubs.splice(0).reverse()) await h.stop();
});

describe('sse resume across a hub restart', () => {
  test('an EventSource reconnects with Last-Event-ID to the restarted hub and gets every message exactly once, in order', async () => {
    // A retry long enough for the second hub to be fully up when the client comes back.
    const sse = { retryMs: 700 };
    const first = await startTestHub({ overrides: { plugins: { sse } } });
    const port = first.hub.port;
    source = watch(`${first.url}/stream/events?client_id=reader&channels=jobs`, ['job']);
    await waitFor(() => source!.named('relaykit.connected').length === 1);

    const before = await post(
      first.url,
      range(1, 5).map((n) => ({ channel: 'jobs', type: 'job', payload: n })),
    );
    await waitForIds(source, 5);
    await first.stop(true);

    // Same folder (same database), same port: the client's URL still works.
    const second = await startTestHub({ dir: first.dir, overrides: { server: { port }, plugins: { sse } } });
    hubs.push(second);
    const missed = await post(second.url, [
      ...range(6, 9).map((n) => ({ channel: 'jobs', type: 'job', payload: n })),
      { to: 'reader', type: 'job', payload: 'direct' },
      { channel: 'elsewhere', type: 'job' },
    ]);
    expect(source.ids()).toEqual(before);

    await waitFor(() => source!.named('relaykit.connected').length === 2, 5000, 'the reconnect');
    await waitForIds(source, 10);
    const live = await post(second.url, [{ channel: 'jobs', type: 'job', payload: 'live' }]);
    await waitForIds(source, 11);

    expect(source.ids()).toEqual([...before, ...missed.slice(0, 5), ...live]);
    expect(source.named('relaykit.connected')[1].data).toMatchObject({ last_event_id: before.at(-1) });
    expect(source.named('relaykit.gap')).toEqual([]);
    expect(source.named('job').map((e) => (e.data as { data: unknown }).data)).toEqual([
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      'direct',
      'live',
    ]);
  });
});
