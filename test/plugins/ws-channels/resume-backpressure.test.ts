import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { ids } from './client.ts';
import { RawClient } from './raw.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ws-channels resume into a slow reader', () => {
  test('the replay waits for the socket to drain instead of overfilling it or closing the client', async () => {
    t = await startTestHub({ overrides: { plugins: { 'ws-channels': { sendBufferBytes: 65_536 } } } });
    const payload = 'y'.repeat(8192);
    const backlog: number[] = [];
    for (let i = 0; i < 3000; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          t.hub.messages.send({ channel: 'log', type: 'line', payload: { i: i + j, payload } }),
        ),
      );
      backlog.push(...batch.map((m) => m.id));
    }
    const reader = await RawClient.connect(t.url);
    reader.pause();
    reader.send({ type: 'subscribe', id: 'resume', channels: ['log'], since: 0 });

    // The replay filled the socket up to its pause mark and waits: the buffer is bounded.
    const sendBuffer = t.hub.view.healthChecks().find((c) => c.name === 'ws:sendBuffer');
    await waitFor(async () => (await sendBuffer?.check())?.status === 'warn', 10_000, 'the replay to pause');
    const buffered = (await sendBuffer?.check())?.observedValue as number;
    expect(buffered).toBeLessThan(65_536 / 2 + 9000);

    reader.resume();
    await reader.waitFor(() => reader.frames.some((f) => f.id === 'resume'), 'the subscribed reply', 20_000);
    expect(reader.closed).toBeNull();
    expect(ids(reader.events())).toEqual(backlog);
    expect(reader.frames.find((f) => f.id === 'resume')).toMatchObject({ recovered: true, replayed: 3000 });
    reader.destroy();
  }, 30_000);
});
