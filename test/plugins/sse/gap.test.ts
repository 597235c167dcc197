import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { post, range, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await t?.stop();
});

describe('sse gap notice', () => {
  test('a resume older than retention starts with relaykit.gap, then what is left, then live', async () => {
    t = await startTestHub();
    await post(
      t.url,
      range(1, 10).map(() => ({ channel: 'news', type: 'item' })),
    );
    // Retention removed messages up to 6 (what the ttl plugin records when it deletes).
    await t.hub.messages.advanceHorizon(6);

    const s = watch(`${t.url}/stream/events?channels=news&last_event_id=3`, ['item']);
    sources.push(s);
    await waitForIds(s, 7);
    const [live] = await post(t.url, [{ channel: 'news', type: 'item' }]);
    await waitForIds(s, 8);

    expect(s.events.map((e) => e.event).slice(0, 3)).toEqual(['relaykit.connected', 'relaykit.gap', 'item']);
    expect(s.named('relaykit.gap')[0]).toMatchObject({
      data: { last_event_id: 3, horizon: 6, reason: 'retention' },
      // The notice carries no id: it does not move the client's resume point.
      id: '',
    });
    // The rows themselves were not deleted in this test: the stream still gets everything after 3.
    expect(s.ids()).toEqual([...range(4, 10), live]);
  });

  test('a resume at or after the horizon has no gap notice', async () => {
    t = await startTestHub();
    await post(
      t.url,
      range(1, 5).map(() => ({ channel: 'news', type: 'item' })),
    );
    await t.hub.messages.advanceHorizon(2);
    const s = watch(`${t.url}/stream/events?channels=news&last_event_id=2`, ['item']);
    sources.push(s);
    await waitForIds(s, 3);
    expect(s.named('relaykit.gap')).toEqual([]);
    expect(s.ids()).toEqual([3, 4, 5]);
  });

  test('an id newer than any message (a new database) gets relaykit.gap "unknown" and then every new message', async () => {
    t = await startTestHub();
    await post(t.url, [{ channel: 'news', type: 'item' }]);
    const s = watch(`${t.url}/stream/events?channels=news`, ['item'], { headers: { 'last-event-id': '5000' } });
    sources.push(s);
    await waitFor(() => s.named('relaykit.gap').length === 1);
    const ids = await post(
      t.url,
      range(1, 3).map(() => ({ channel: 'news', type: 'item' })),
    );
    await waitForIds(s, 3);

    expect(s.named('relaykit.gap')[0].data).toEqual({ last_event_id: 5000, horizon: 1, reason: 'unknown' });
    expect(s.ids()).toEqual(ids);
    const stats = await (await t.request('/stream/stats')).json();
    expect(stats.gaps).toBe(1);
  });
});
