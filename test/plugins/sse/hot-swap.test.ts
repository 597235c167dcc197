import { afterEach, describe, expect, test } from 'bun:test';
import { builtinPlugins } from '../../../plugins/index.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { echoPlugin } from '../../helpers/plugins.ts';
import { openRaw, post, type RawStream, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
const raws: RawStream[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  for (const r of raws.splice(0)) await r.cancel();
  await t?.stop();
});

const ADMIN = 'admin-token-for-sse-tests';

async function hub() {
  const started = await startTestHub({
    plugins: [...builtinPlugins, echoPlugin],
    overrides: { auth: { adminToken: ADMIN }, plugins: { sse: { retryMs: 100 } } },
  });
  const reasons: Array<string | undefined> = [];
  started.hub.bus.on('client.disconnected', (e) => {
    reasons.push(e.reason);
  });
  return { started, reasons };
}

function patch(name: string, body: unknown): Promise<Response> {
  return t.request(`/admin/plugins/${name}`, { method: 'PATCH', token: ADMIN, json: body });
}

describe('sse hot swap', () => {
  test('reconfiguring sse ends its streams; clients reconnect and resume without loss or duplicate', async () => {
    const { started, reasons } = await hub();
    t = started;
    const s = watch(`${t.url}/stream/events?channels=news`, ['item']);
    sources.push(s);
    await waitFor(() => s.named('relaykit.connected').length === 1);
    const first = await post(
      t.url,
      [1, 2, 3].map(() => ({ channel: 'news', type: 'item' })),
    );
    await waitForIds(s, 3);

    expect((await patch('sse', { options: { heartbeatMs: 20_000 } })).status).toBe(200);
    expect(reasons).toEqual(['restart']);
    // Posted while the client is between streams.
    const missed = await post(
      t.url,
      [4, 5, 6].map(() => ({ channel: 'news', type: 'item' })),
    );
    await waitFor(() => s.named('relaykit.connected').length === 2, 5000, 'the reconnect');
    const live = await post(
      t.url,
      [7, 8].map(() => ({ channel: 'news', type: 'item' })),
    );
    await waitForIds(s, 8);

    expect(s.ids()).toEqual([...first, ...missed, ...live]);
    expect(s.named('relaykit.connected')[1].data).toMatchObject({ last_event_id: first.at(-1) });
  });

  test('changing another plugin leaves sse streams open and receiving', async () => {
    const { started, reasons } = await hub();
    t = started;
    const s = watch(`${t.url}/stream/events?channels=news`, ['item']);
    sources.push(s);
    await waitFor(() => s.named('relaykit.connected').length === 1);

    expect((await patch('echo', { options: { greeting: 'changed' } })).status).toBe(200);
    expect(await (await t.request('/echo')).json()).toMatchObject({ greeting: 'changed' });
    expect((await patch('echo', { enabled: false })).status).toBe(200);
    // The other realtime transport too: reconfigured, then disabled.
    expect((await patch('ws-channels', { options: { maxFrameBytes: 32_768 } })).status).toBe(200);
    expect((await patch('ws-channels', { enabled: false })).status).toBe(200);
    const ids = await post(t.url, [{ channel: 'news', type: 'item' }]);
    await waitForIds(s, 1);

    expect(s.ids()).toEqual(ids);
    expect(s.named('relaykit.connected')).toHaveLength(1);
    expect(reasons).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  test('disabling sse ends its streams and removes the route', async () => {
    const { started, reasons } = await hub();
    t = started;
    const raw = await openRaw(`${t.url}/stream/events?channels=news`);
    raws.push(raw);
    expect((await patch('sse', { enabled: false })).status).toBe(200);
    expect(await raw.ended).toBe('eof');
    expect(reasons).toEqual(['disabled']);
    const gone = await fetch(`${t.url}/stream/events`);
    expect(gone.status).toBe(404);
    expect((await patch('sse', { enabled: true })).status).toBe(200);
    expect((await fetch(`${t.url}/stream/stats`)).status).toBe(200);
  });
});
