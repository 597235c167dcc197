import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
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

async function refused(path: string, init: RequestInit = {}): Promise<{ status: number; code: string }> {
  const res = await fetch(`${t.url}${path}`, init);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return { status: res.status, code: body.error.code };
}

describe('sse bad input', () => {
  test('every malformed stream request gets a clear JSON error while an open stream keeps receiving', async () => {
    t = await startTestHub({
      overrides: { auth: { adminToken: ADMIN }, plugins: { sse: { maxChannels: 3, maxTypes: 2 } } },
    });
    const bystander = watch(`${t.url}/stream/events?channels=calm`, ['note']);
    sources.push(bystander);
    await waitFor(() => bystander.named('relaykit.connected').length === 1);

    const filter = { status: 400, code: 'RELAYKIT_ERR_SSE_BAD_FILTER' };
    const lastId = { status: 400, code: 'RELAYKIT_ERR_SSE_BAD_LAST_EVENT_ID' };
    expect(await refused('/stream/events?last_event_id=abc')).toEqual(lastId);
    expect(await refused('/stream/events', { headers: { 'last-event-id': '-1' } })).toEqual(lastId);
    expect(await refused('/stream/events', { headers: { 'last-event-id': '1e3' } })).toEqual(lastId);
    expect(await refused('/stream/events?channels=bad%20name')).toEqual(filter);
    expect(await refused('/stream/events?channels=a,b,c,d')).toEqual(filter);
    expect(await refused(`/stream/events?channels=${'x'.repeat(201)}`)).toEqual(filter);
    expect(await refused('/stream/events?subscribe=a,b,c')).toEqual(filter);
    expect(await refused('/stream/events?subscribe=no%20spaces')).toEqual(filter);
    expect(await refused('/stream/events?client_id=has%20space')).toMatchObject({ status: 400 });
    expect(
      await refused('/stream/events?channels=$hub:plugin.(x)', { headers: { authorization: `Bearer ${ADMIN}` } }),
    ).toEqual(filter);

    const json = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    expect(await refused('/stream/broadcast', { method: 'POST', headers: json, body: '{"type":' })).toMatchObject({
      status: 400,
      code: 'RELAYKIT_ERR_MALFORMED_JSON',
    });
    expect(
      await refused('/stream/broadcast', { method: 'POST', headers: json, body: JSON.stringify({ data: 1 }) }),
    ).toMatchObject({ status: 422 });
    expect(
      await refused('/stream/send', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ client_id: 'a', type: 't', data: 1, extra: true }),
      }),
    ).toMatchObject({ status: 422 });
    expect(
      await refused('/stream/send', { method: 'POST', headers: json, body: JSON.stringify({ type: 't', data: 1 }) }),
    ).toMatchObject({ status: 422 });

    const ids = await post(t.url, [{ channel: 'calm', type: 'note' }]);
    await waitForIds(bystander, 1);
    expect(bystander.ids()).toEqual(ids);
    expect(bystander.errors).toEqual([]);
  });

  test('past maxStreams new streams get 503 and the open ones are untouched', async () => {
    t = await startTestHub({ overrides: { plugins: { sse: { maxStreams: 2 } } } });
    for (let i = 0; i < 2; i++) raws.push(await openRaw(`${t.url}/stream/events?channels=c`));
    expect(await refused('/stream/events')).toEqual({ status: 503, code: 'RELAYKIT_ERR_SSE_TOO_MANY_STREAMS' });
    await raws.pop()!.cancel();
    await waitFor(async () => (await (await fetch(`${t.url}/stream/stats`)).json()).streams === 1);
    const again = await openRaw(`${t.url}/stream/events?channels=c`);
    raws.push(again);
    expect(again.response.status).toBe(200);
  });
});
