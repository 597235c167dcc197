import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { waitFor } from '../../helpers/hub.ts';
import { HubUnderTest } from '../../helpers/hub-process.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, type Report, removeVenvs } from './python.ts';

let hub: HubUnderTest | null = null;
let script: PythonScript | null = null;
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  script?.kill();
  await hub?.dispose();
  hub = script = null;
});
afterAll(removeVenvs);

const ids = (events: Report[]) => events.map((e) => e.id as number);

test('Python: after the hub is killed and restarted, the client receives what was posted while it was away: once each, in order', async () => {
  hub = await HubUnderTest.start();
  script = await PythonScript.start('follow.py', {
    RK_URL: hub.url,
    RK_CLIENT_ID: 'worker-1',
    RK_CHANNELS: 'jobs,alerts',
  });
  const [first] = await script.waitFor('connected');
  expect(first).toMatchObject({ client_id: 'worker-1', reconnected: false, replayed: 0 });

  const before = [
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 1 }),
    await hub.send({ to: 'worker-1', type: 'task.assigned', payload: 2 }),
    await hub.send({ channel: 'alerts', type: 'alert', payload: 3 }),
  ];
  await script.waitFor('event', 3);

  // The client may not come back before the test has posted: its reconnect sleep is held.
  script.send('hold');
  await script.waitFor('done');
  await hub.kill('SIGKILL');
  const [disconnect] = await script.waitFor('disconnected');
  expect(disconnect).toMatchObject({ will_reconnect: true });
  await hub.restart();
  const missed = [
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 4 }),
    await hub.send({ to: 'worker-1', type: 'task.assigned', payload: 5 }),
    await hub.send({ channel: 'elsewhere', type: 'noise', payload: 0 }),
    await hub.send({ channel: 'alerts', to: 'worker-1', type: 'alert', payload: 6 }),
    await hub.send({ to: 'someone-else', type: 'task.assigned', payload: 0 }),
    await hub.send({ channel: 'jobs', type: 'job.created', payload: 7 }),
  ].filter((_, i) => i !== 2 && i !== 4);
  expect(script.of('connected')).toHaveLength(1);
  script.send('release');
  const [, again] = await script.waitFor('connected', 2);
  expect(again).toMatchObject({ reconnected: true, replayed: 4 });

  const live = await hub.send({ channel: 'jobs', type: 'job.created', payload: 8 });
  const events = await script.waitFor('event', 8);
  expect(ids(events)).toEqual([...before, ...missed, live]);
  expect(events.map((e) => e.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  script.send('cursors');
  const [cursors] = await script.waitFor('cursors');
  expect(cursors).toMatchObject({ channels: { jobs: live, alerts: live }, direct: live });
  expect(await script.finish()).toBe(0);
}, 30_000);

test('Python: a client resumes exactly once through a crash while messages keep coming', async () => {
  hub = await HubUnderTest.start();
  // Slower to come back than the producer, so messages are posted while it is away.
  script = await PythonScript.start('follow.py', {
    RK_URL: hub.url,
    RK_CLIENT_ID: 'reader',
    RK_CHANNELS: 'feed',
    RK_BACKOFF: '0.2,0.4',
  });
  await script.waitFor('connected');
  const acked: number[] = [];
  let producing = true;
  let n = 0;
  const producer = (async () => {
    while (producing) {
      const message =
        n % 3 === 0 ? { to: 'reader', type: 'direct', payload: n } : { channel: 'feed', type: 'tick', payload: n };
      n++;
      try {
        acked.push(await (hub as HubUnderTest).send(message));
      } catch {
        await Bun.sleep(20); // the hub is down: try the next one shortly
      }
    }
  })();

  await waitFor(() => acked.length >= 30, 10_000, 'traffic before the crash');
  await hub.kill('SIGKILL');
  const duringOutage = acked.length;
  await hub.restart();
  await waitFor(() => acked.length >= duringOutage + 30, 10_000, 'traffic after the restart');
  producing = false;
  await producer;

  const last = acked[acked.length - 1];
  await waitFor(() => ids(script?.of('event') ?? []).includes(last), 10_000, 'the last acknowledged message');
  const received = ids(script.of('event'));
  expect(received).toEqual([...received].sort((a, b) => a - b));
  expect(new Set(received).size).toBe(received.length);
  for (const id of acked) expect(received).toContain(id);
  const stored = (await (await fetch(`${hub.url}/messages?limit=1000`)).json()) as { messages: Array<{ id: number }> };
  expect(received).toEqual(stored.messages.map((m) => m.id));
  expect(script.of('disconnected')).toHaveLength(1);
  expect(script.of('connected')).toHaveLength(2);
}, 40_000);
