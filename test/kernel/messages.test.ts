import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('messages', () => {
  test('a posted message is stored, listed by recipient and channel, and acknowledged once', async () => {
    t = await startTestHub();
    const res = await t.request('/messages', {
      method: 'POST',
      json: { from: 'a', to: 'b', channel: 'room', type: 'task.created', payload: { n: 1 } },
    });
    expect(res.status).toBe(201);
    const sent = await res.json();
    expect(sent).toMatchObject({
      id: 1,
      from: 'a',
      to: 'b',
      channel: 'room',
      type: 'task.created',
      payload: { n: 1 },
      deliveredAt: null,
    });

    const byClient = await (await t.request('/messages?client=b')).json();
    expect(byClient.messages.map((m: { id: number }) => m.id)).toEqual([1]);
    const other = await (await t.request('/messages?client=zzz')).json();
    expect(other.messages).toEqual([]);

    const delivered: number[] = [];
    t.hub.bus.on('message.delivered', (e) => {
      delivered.push(e.id);
    });
    const ack = await (await t.request('/messages/1/ack', { method: 'POST', json: { by: 'b' } })).json();
    expect(ack.deliveredAt).not.toBeNull();
    await t.request('/messages/1/ack', { method: 'POST' });
    expect(delivered).toEqual([1]);
  });

  test('pages through messages in ascending id order with a cursor', async () => {
    t = await startTestHub();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.request('/messages', { method: 'POST', json: { channel: 'c', type: 'n', payload: i } }),
      ),
    );
    const ids: number[] = [];
    let after = 0;
    for (;;) {
      const page = await (await t.request(`/messages?channel=c&limit=10&after=${after}`)).json();
      if (!page.messages.length) break;
      ids.push(...page.messages.map((m: { id: number }) => m.id));
      after = page.nextCursor;
    }
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test('concurrent posts are committed together and published in id order', async () => {
    t = await startTestHub();
    const seen: number[] = [];
    t.hub.bus.on('message.sent', (m) => {
      seen.push(m.id);
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.request('/messages', { method: 'POST', json: { to: 'x', type: 'n', payload: i } }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(200);
  });
});
