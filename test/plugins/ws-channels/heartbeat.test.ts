import { afterEach, describe, expect, test } from 'bun:test';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';
import { RawClient } from './raw.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function pongs(): Promise<number> {
  const metric = t.hub.registry.getSingleMetric('relaykit_ws_pongs_received_total');
  return (await metric?.get())?.values[0]?.value ?? 0;
}

describe('ws-channels heartbeat', () => {
  test('the server pings on its interval and closes a peer that stays silent past the idle timeout', async () => {
    const clock = new ManualClock(Date.now());
    t = await startTestHub({ clock });
    const browser = await TestClient.ready(t.url);
    const alive = await RawClient.connect(t.url, { autoPong: true });
    const dead = await RawClient.connect(t.url);

    for (let round = 1; round <= 3; round++) {
      await clock.tick(30_000);
      if (round < 3) {
        await alive.waitFor(() => alive.pings === round && dead.pings === round, `ping ${round}`);
        // Both live peers answered (the browser-like client by itself).
        await waitFor(async () => (await pongs()) === 2 * round, 5000, `pongs of round ${round}`);
      }
    }
    // 90 s without a frame or a pong: closed at the third heartbeat.
    await dead.waitFor(() => dead.closed !== null, 'the idle close');
    expect(dead.closed?.code).toBe(4000);
    alive.send({ type: 'ping', id: 'still-there' });
    await alive.waitFor(() => alive.frames.some((f) => f.id === 'still-there'), 'the pong frame');
    expect(alive.closed).toBeNull();
    expect(await browser.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    alive.destroy();
    browser.close();
  });
});
