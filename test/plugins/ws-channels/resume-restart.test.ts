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
    const gone = await TestClient.ready(first.url);
    const stays = await TestClient.ready(first.url);
    await gone.request({ type: 'subscribe', channels: ['jobs'] });
    const seen = (await first.hub.messages.send({ channel: 'jobs', type: 'job', payload: 0 })).id;
    await gone.waitForEvents(1);
    gone.close();
    await gone.waitClosed();

    const missed: number[] = [];
    for (let i = 1; i <= 4; i++) {
      missed.push((await first.hub.messages.send({ channel: 'jobs', type: 'job', payload: i })).id);
    }
    // A graceful stop tells connected clients to come back and resume.
    await first.stop(true);
    t = null;
    expect((await stays.waitClosed()).code).toBe(1012);

    const second = await startTestHub({ dir: first.dir });
    t = second;
    const again = await TestClient.ready(second.url);
    const sub = await again.request({ type: 'subscribe', channels: ['jobs'], since: seen });
    expect(sub).toMatchObject({ recovered: true, replayed: 4 });
    expect(ids(again.events())).toEqual(missed);
    const next = (await second.hub.messages.send({ channel: 'jobs', type: 'job', payload: 5 })).id;
    expect(next).toBeGreaterThan(missed.at(-1) as number);
    expect(ids(await again.waitForEvents(5))).toEqual([...missed, next]);
    again.close();
  });
});
