import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { testStores } from '../../helpers/stores.ts';
import { openRaw, type RawStream, range, type WatchedSource, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
const raws: RawStream[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  for (const r of raws.splice(0)) await r.cancel();
  await t?.stop();
});

/** Posts `count` messages with up to `concurrency` in flight; resolves with their ids. */
async function publish(url: string, count: number, concurrency: number, padding = 0): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      const n = next++;
      const res = await fetch(`${url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'feed', type: 'tick', payload: { n, pad: 'x'.repeat(padding) } }),
      });
      ids.push(((await res.json()) as { id: number }).id);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids.sort((a, b) => a - b);
}

const STORES = await testStores(import.meta.path);

for (const store of STORES) {
  describe(`sse resume while messages keep arriving [${store.name}]`, () => {
    test('catching up over many replay pages while a publisher posts: no gap, no duplicate, in order', async () => {
      // Small pages force many round trips between the event log and the live feed.
      t = await startTestHub({ overrides: { ...store.fresh(), plugins: { sse: { replayPageSize: 7 } } } });
      // About 600 KB of backlog: more than the stream queues at once, so catch-up waits for the client
      // (and live messages arrive) between pages.
      const backlog = await publish(t.url, 300, 8, 2000);
      expect(backlog).toEqual(range(1, 300));

      const publishing = publish(t.url, 600, 4, 2000);
      await waitFor(async () => (await t.hub.messages.lastId()) >= 350, 5000, 'the publisher to be under way');
      // Resume from id 20 while the publisher runs: 330+ to replay, the rest arrives live meanwhile.
      const s = watch(`${t.url}/stream/events?channels=feed&last_event_id=20`, ['tick']);
      sources.push(s);
      const all = [...backlog, ...(await publishing)];
      expect(all).toEqual(range(1, 900));
      await waitFor(() => s.ids().length >= 880, 10_000, `880 events (got ${s.ids().length})`);
      // Anything extra (a duplicate) would show up now.
      await new Promise((r) => setTimeout(r, 50));

      expect(s.ids()).toEqual(range(21, 900));
      const stats = await (await t.request('/stream/stats')).json();
      expect(stats.delivered.replayed).toBeGreaterThan(0);
      expect(stats.delivered.replayed + stats.delivered.live).toBe(880);
    });

    test('a second catch-up from the same point while posting gives the same sequence', async () => {
      t = await startTestHub({ overrides: { ...store.fresh(), plugins: { sse: { replayPageSize: 3 } } } });
      await publish(t.url, 50, 4);
      const publishing = publish(t.url, 200, 2);
      const a = watch(`${t.url}/stream/events?channels=feed&last_event_id=0`, ['tick']);
      await new Promise((r) => setTimeout(r, 20));
      const b = watch(`${t.url}/stream/events?channels=feed&last_event_id=10`, ['tick']);
      sources.push(a, b);
      await publishing;
      await waitFor(() => a.ids().length >= 250 && b.ids().length >= 240, 10_000, 'both streams');
      expect(a.ids()).toEqual(range(1, 250));
      expect(b.ids()).toEqual(range(11, 250));
    });

    test('live messages that arrive while catch-up waits for a slow reader are held and sent once, after the backlog', async () => {
      t = await startTestHub({
        overrides: {
          ...store.fresh(),
          auth: { adminToken: 'admin-token-123' },
          plugins: { sse: { maxQueueBytes: 64 * 1024 * 1024 } },
        },
      });
      // ~20 MB of backlog: far more than the socket buffers take (a few MB on loopback), so catch-up
      // stalls while the reader pauses.
      const backlog = await publish(t.url, 100, 4, 200_000);
      const raw = await openRaw(`${t.url}/stream/events?client_id=slowpoke&channels=feed`, {
        headers: { 'last-event-id': '0' },
      });
      raws.push(raw);
      raw.pause();
      const catchingUp = async () => {
        const list = await (await t.request('/stream/clients', { token: 'admin-token-123' })).json();
        return list.clients[0]?.streams[0]?.live === false;
      };
      await new Promise((r) => setTimeout(r, 100));
      expect(await catchingUp()).toBe(true);

      const live = await publish(t.url, 50, 2);
      expect(await catchingUp()).toBe(true);
      raw.resume();
      await waitFor(() => raw.events.filter((e) => e.id).length >= 150, 10_000, 'the whole sequence');
      await new Promise((r) => setTimeout(r, 50));

      const ids = raw.events.filter((e) => e.id).map((e) => Number(e.id));
      expect(ids).toEqual([...backlog, ...live]);
      expect(await catchingUp()).toBe(false);
    });
  });
}
