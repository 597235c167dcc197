import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ids, TestClient } from './client.ts';

let t: TestHub | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

describe('ws-channels resume across a hub restart', () => {
  test('a client resumes from its last id on a restarted hub with the same database', async () => {
    const first = await startTestHub();
    t = first;
    const c = await TestClient.ready(first.url);
    await c.request({ type: 'subscribe', channels: ['jobs'] });
    const seen = (await first.hub.messages.send({ channel: 'jobs', type: 'job', payload: 0 })).id;
    await c.waitForEvents(1);
    const missed: number[] = [];
    for (let i = 1; i <= 4; i++)
      missed.push((await first.hub.messages.send({ channel: 'jobs', type: 'job', payload: i })).id);
    // Graceful stop: the client is told to reconnect.
    await first.stop(true);
    t = null;
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1012);
    const gotBeforeClose = ids(c.events()).filter((id) => id > seen);

    const second = await startTestHub({ dir: first.dir });
    t = second;
    const again = await TestClient.ready(second.url);
    const last = [seen, ...gotBeforeClose].at(-1) as number;
    const sub = await again.request({ type: 'subscribe', channels: ['jobs'], since: last });
    expect(sub).toMatchObject({ recovered: true });
    expect([...gotBeforeClose, ...ids(again.events())]).toEqual(missed);
    const next = (await second.hub.messages.send({ channel: 'jobs', type: 'job', payload: 5 })).id;
    expect(next).toBeGreaterThan(missed.at(-1) as number);
    expect(ids(await again.waitForEvents(missed.length - gotBeforeClose.length + 1)).at(-1)).toBe(next);
    again.close();
  });
});
