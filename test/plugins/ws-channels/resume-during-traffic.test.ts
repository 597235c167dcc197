import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { testStores } from '../../helpers/stores.ts';
import { ids, TestClient } from './client.ts';

let t: TestHub;
/** Stops the current test's publishers, so a failed test's loop never posts into the next test's hub. */
let stopPublishing: () => Promise<void> = async () => {};
afterEach(async () => {
  await stopPublishing();
  await t?.stop();
});

const STORES = await testStores(import.meta.path);

for (const store of STORES) {
  describe(`ws-channels resume while messages keep arriving [${store.name}]`, () => {
    test('catching up under a steady stream of posts loses nothing and repeats nothing', async () => {
      // Small pages so the catch-up takes many steps, with posts landing between them.
      t = await startTestHub({ overrides: { ...store.fresh(), plugins: { 'ws-channels': { replayPageSize: 10 } } } });
      const backlog: number[] = [];
      for (let i = 0; i < 40; i++) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, j) =>
            t.hub.messages.send({ channel: j % 5 === 0 ? 'noise' : 'stream', type: 'n', payload: i * 25 + j }),
          ),
        );
        backlog.push(...batch.filter((m) => m.channel === 'stream').map((m) => m.id));
      }

      const hub = t;
      let publishing = true;
      const during: number[] = [];
      const publisher = (async () => {
        let n = 0;
        while (publishing) {
          const res = await hub.request('/messages', {
            method: 'POST',
            json: { channel: 'stream', type: 'live', payload: n++ },
          });
          during.push(((await res.json()) as { id: number }).id);
        }
      })();
      stopPublishing = async () => {
        publishing = false;
        await publisher.catch(() => {});
      };
      // Let the publisher get going before the client resumes.
      while (during.length < 5) await new Promise((r) => setTimeout(r, 1));

      const c = await TestClient.ready(t.url);
      const postedBefore = during.length;
      const sub = await c.request({ type: 'subscribe', channels: ['stream'], since: 0 }, 20_000);
      expect(sub).toMatchObject({ recovered: true });
      // Posts really landed while the client was catching up (the case under test).
      expect(during.length - postedBefore).toBeGreaterThan(0);
      // Keep posting a while after the switch to live.
      const afterSwitch = during.length + 20;
      while (during.length < afterSwitch) await new Promise((r) => setTimeout(r, 1));
      publishing = false;
      await publisher;

      const expected = [...backlog, ...during];
      const got = ids(await c.waitForEvents(expected.length, 'stream', 10_000));
      expect(got).toEqual(expected);
      await c.request({ type: 'ping' });
      expect(c.events('stream')).toHaveLength(expected.length);
      c.close();
    }, 30_000);
    test('clients resuming from different points while four publishers post concurrently each get every id once, in order', async () => {
      t = await startTestHub({ overrides: { ...store.fresh(), plugins: { 'ws-channels': { replayPageSize: 7 } } } });
      const hub = t;
      let publishing = true;
      const acked: number[] = [];
      async function publisher(): Promise<void> {
        while (publishing) {
          const res = await hub.request('/messages', {
            method: 'POST',
            json: { channel: 'feed', type: 'tick', payload: 0 },
          });
          expect(res.status).toBe(201);
          acked.push(((await res.json()) as { id: number }).id);
        }
      }
      // Concurrent posts: on PostgreSQL they commit in shared groups, each id allocated inside its group.
      const publishers = Array.from({ length: 4 }, publisher);
      stopPublishing = async () => {
        publishing = false;
        await Promise.allSettled(publishers);
      };
      while (acked.length < 150) await new Promise((r) => setTimeout(r, 2));

      const starts = [0, 40, 100];
      const clients = await Promise.all(starts.map(() => TestClient.ready(t.url)));
      const subs = await Promise.all(
        clients.map((c, i) => c.request({ type: 'subscribe', channels: ['feed'], since: starts[i] }, 20_000)),
      );
      for (const sub of subs) expect(sub).toMatchObject({ recovered: true });
      const atSwitch = acked.length;
      while (acked.length < atSwitch + 100) await new Promise((r) => setTimeout(r, 2));
      publishing = false;
      await Promise.all(publishers);

      const last = Math.max(...acked);
      // Every post was acknowledged, so the ids are exactly 1..last.
      expect([...acked].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      for (const [i, c] of clients.entries()) {
        const expected = Array.from({ length: last - starts[i] }, (_, k) => starts[i] + k + 1);
        expect(ids(await c.waitForEvents(expected.length, 'feed', 10_000))).toEqual(expected);
        await c.request({ type: 'ping' });
        expect(c.events('feed')).toHaveLength(expected.length);
        c.close();
      }
    }, 30_000);
  });
}
