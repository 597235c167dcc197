import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { HubUnderTest } from '../../helpers/hub-process.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs } from './python.ts';

let hub: HubUnderTest | null = null;
let script: PythonScript | null = null;
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  script?.kill();
  await hub?.dispose();
  hub = script = null;
});
afterAll(removeVenvs);

test('Python SSE: resumes with Last-Event-ID across a SIGKILLed hub: every message once, in order', async () => {
  hub = await HubUnderTest.start();
  const early = await hub.send({ channel: 'news', type: 'headline', payload: 0 });
  // Starts from a stored cursor: what came after it is replayed first.
  script = await PythonScript.start('stream.py', {
    RK_URL: hub.url,
    RK_CLIENT_ID: 'py-reader',
    RK_CHANNELS: 'news',
    RK_LAST_EVENT_ID: String(early - 1),
  });
  const [connected] = await script.waitFor('connected');
  expect(connected).toMatchObject({ client_id: 'py-reader', last_event_id: early - 1 });
  const before = [
    await hub.send({ channel: 'news', type: 'headline', payload: 1 }),
    await hub.send({ to: 'py-reader', type: 'note', payload: 2 }),
  ];
  await script.waitFor('event', 3);

  await hub.kill('SIGKILL');
  await script.waitFor('disconnected');
  await hub.restart();
  const missed = [
    await hub.send({ channel: 'news', type: 'headline', payload: 3 }),
    await hub.send({ channel: 'sports', type: 'score', payload: 0 }),
    await hub.send({ to: 'py-reader', type: 'note', payload: 4 }),
  ].filter((_, i) => i !== 1);
  await script.waitFor('connected', 2);
  const stop = await hub.send({ channel: 'news', type: 'stop', payload: 5 });
  const events = await script.waitFor('event', 6);
  expect(events.map((e) => e.id)).toEqual([early, ...before, ...missed, stop]);
  expect(events.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(script.of('connected')[1]).toMatchObject({ last_event_id: before[1] });
  expect(await script.finish()).toBe(0);
}, 30_000);
