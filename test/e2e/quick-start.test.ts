import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, send, startHub } from './harness.ts';

forEachRuntime('quick start', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime);
  });
  afterAll(() => hub.dispose());

  test('a message is stored, read by recipient and by id, and acknowledged once', async () => {
    const sent = await send(hub, {
      from: 'planner',
      to: 'coder',
      type: 'task.created',
      payload: { title: 'Write tests', tags: ['e2e'], n: 1.5, ok: true, none: null },
    });
    expect(sent).toMatchObject({
      from: 'planner',
      to: 'coder',
      channel: null,
      type: 'task.created',
      deliveredAt: null,
    });
    expect(sent.payload).toEqual({ title: 'Write tests', tags: ['e2e'], n: 1.5, ok: true, none: null });

    const inbox = await (await hub.request('/messages?client=coder')).json();
    expect(inbox.messages.map((m: { id: number }) => m.id)).toEqual([sent.id]);
    expect((await (await hub.request('/messages?client=nobody')).json()).messages).toEqual([]);
    expect(await (await hub.request(`/messages/${sent.id}`)).json()).toEqual(sent);

    const ack = await hub.request(`/messages/${sent.id}/ack`, { method: 'POST', json: { by: 'coder' } });
    expect(ack.status).toBe(200);
    const acked = await ack.json();
    expect(Date.parse(acked.deliveredAt)).toBeGreaterThanOrEqual(Date.parse(sent.createdAt as string));
    const again = await (await hub.request(`/messages/${sent.id}/ack`, { method: 'POST' })).json();
    expect(again.deliveredAt).toBe(acked.deliveredAt);
  });

  test('pages through a channel in ascending id order with the cursor', async () => {
    const ids = (
      await Promise.all(Array.from({ length: 25 }, (_, i) => send(hub, { channel: 'paging', type: 'n', payload: i })))
    ).map((m) => m.id);
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await (await hub.request(`/messages?channel=paging&limit=10&after=${after}`)).json();
      if (!page.messages.length) {
        expect(page.nextCursor).toBe(after);
        break;
      }
      seen.push(...page.messages.map((m: { id: number }) => m.id));
      after = page.nextCursor;
    }
    expect(seen).toEqual([...ids].sort((a, b) => a - b));
    const byType = await (await hub.request('/messages?channel=paging&type=n&limit=1000')).json();
    expect(byType.messages).toHaveLength(25);
  });

  test('unicode payloads and names survive the round trip', async () => {
    const sent = await send(hub, { channel: 'intl', type: 'greeting', payload: { text: 'héllo wörld 👋 你好' } });
    expect((await (await hub.request(`/messages/${sent.id}`)).json()).payload.text).toBe('héllo wörld 👋 你好');
  });

  test('a message reads back as the JSON it was sent as, with the content type of every JSON answer', async () => {
    const payload = { text: 'é \u2028 "q" \\', n: [1.5, -0, 1e21, null], nested: { a: [] } };
    const posted = await hub.request('/messages', { method: 'POST', json: { channel: 'bytes', type: 't', payload } });
    expect(posted.status).toBe(201);
    const sentText = await posted.text();
    const sent = JSON.parse(sentText);
    // The stored payload text goes out as it is: the same bytes JSON.stringify gives for the message.
    expect(sentText).toBe(JSON.stringify(sent));
    const read = await hub.request(`/messages/${sent.id}`);
    expect(await read.text()).toBe(sentText);
    const list = await hub.request('/messages?channel=bytes');
    expect((await list.json()).messages).toEqual([sent]);
    const type = list.headers.get('content-type');
    expect(type).toStartWith('application/json');
    expect([posted.headers.get('content-type'), read.headers.get('content-type')]).toEqual([type, type]);
  });

  test('every answer carries a request id, echoing the caller’s', async () => {
    const res = await hub.request('/messages?limit=1', { headers: { 'x-request-id': 'e2e-req-1' } });
    expect(res.headers.get('x-request-id')).toBe('e2e-req-1');
    expect((await hub.request('/messages?limit=1')).headers.get('x-request-id')).toBeTruthy();
  });

  test('the OpenAPI document is served as OpenAPI 3.1', async () => {
    const doc = await (await hub.request('/openapi/json')).json();
    expect(doc.openapi).toStartWith('3.1');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/messages', '/messages/{id}', '/admin/plugins']));
  });
});
