import { afterEach, describe, expect, test } from 'bun:test';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { openRaw, type RawStream } from './helpers.ts';

let t: TestHub;
const raws: RawStream[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) await r.cancel();
  await t?.stop();
});

describe('sse stream framing', () => {
  test('a stream starts with the retry hint and the connected event, then sends a heartbeat comment on the interval', async () => {
    const clock = new ManualClock();
    t = await startTestHub({ clock, overrides: { plugins: { sse: { retryMs: 1234, heartbeatMs: 10_000 } } } });
    const s = await openRaw(`${t.url}/stream/events?client_id=hb`);
    raws.push(s);
    expect(s.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.response.headers.get('cache-control')).toContain('no-cache');
    await waitFor(() => s.events.length >= 2);
    expect(s.events[0]).toEqual({ retry: '1234' });
    expect(s.events[1]).toMatchObject({ event: 'relaykit.connected' });

    await clock.tick(9_999);
    await new Promise((r) => setTimeout(r, 30));
    expect(s.events.filter((e) => e.comment)).toEqual([]);
    await clock.tick(1);
    await waitFor(() => s.events.some((e) => e.comment === 'heartbeat'));
    await clock.tick(20_000);
    await waitFor(() => s.events.filter((e) => e.comment === 'heartbeat').length === 3);
  });

  test('stopping the hub ends every stream', async () => {
    t = await startTestHub({ overrides: { plugins: { sse: { retryMs: 50 } } } });
    const s = await openRaw(`${t.url}/stream/events`);
    raws.push(s);
    await t.hub.stop();
    expect(await s.ended).toBe('eof');
  });
});
