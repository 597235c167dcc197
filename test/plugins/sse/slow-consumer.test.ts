import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { openRaw, post, type RawStream, range, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
const raws: RawStream[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  for (const r of raws.splice(0)) await r.cancel();
  await t?.stop();
});

describe('sse slow consumers', () => {
  test('a client that stops reading is closed past maxQueueBytes, the others keep receiving, and it resumes without loss', async () => {
    t = await startTestHub({ overrides: { plugins: { sse: { maxQueueBytes: 65_536 } } } });
    const disconnects: Array<{ clientId: string; reason?: string }> = [];
    t.hub.bus.on('client.disconnected', (e) => {
      disconnects.push({ clientId: e.clientId, reason: e.reason });
    });
    const fast = watch(`${t.url}/stream/events?client_id=fast&channels=firehose`, ['blob']);
    sources.push(fast);
    const slow = await openRaw(`${t.url}/stream/events?client_id=slow&channels=firehose`);
    raws.push(slow);
    await waitFor(() => fast.named('relaykit.connected').length === 1 && slow.events.length >= 2);
    slow.pause();

    // ~12 MB: more than the socket buffers absorb, so the slow stream's own queue must overflow.
    const pad = 'x'.repeat(200_000);
    const ids = await post(
      t.url,
      range(1, 60).map((n) => ({ channel: 'firehose', type: 'blob', payload: { n, pad } })),
    );
    await waitForIds(fast, 60, 10_000);
    await waitFor(() => disconnects.some((d) => d.clientId === 'slow'), 5000, 'the slow consumer to be closed');

    expect(fast.ids()).toEqual(ids);
    expect(disconnects).toEqual([{ clientId: 'slow', reason: 'slow_consumer' }]);
    const stats = await (await t.request('/stream/stats')).json();
    expect(stats).toMatchObject({ streams: 1, slow_consumer_closes: 1 });

    // The slow client takes what reached it, sees the stream end, and resumes from its last id.
    slow.resume();
    expect(await slow.ended).toBeOneOf(['error', 'eof']);
    const got = slow.events.filter((e) => e.id).map((e) => Number(e.id));
    expect(got.length).toBeLessThan(60);
    expect(got).toEqual(ids.slice(0, got.length));
    const again = watch(`${t.url}/stream/events?client_id=slow&channels=firehose`, ['blob'], {
      headers: { 'last-event-id': String(got.at(-1) ?? 0) },
    });
    sources.push(again);
    await waitForIds(again, 60 - got.length, 10_000);
    expect([...got, ...again.ids()]).toEqual(ids);
  });
});
