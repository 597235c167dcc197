import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { HubUnderTest } from '../../helpers/hub-process.ts';
import { TOKEN_HUB_CONFIG as CONFIG, ordersToken as jwt } from '../order-tokens.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs } from './python.ts';

let hub: HubUnderTest | null = null;
let script: PythonScript | null = null;
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  script?.kill();
  if (hub?.process.proc.exitCode === null) hub.process.proc.kill('SIGCONT');
  await hub?.dispose();
  hub = script = null;
});
afterAll(removeVenvs);

test('Python: when the JWT expires the hub closes with 4001; the client asks its provider for a new one and resumes', async () => {
  hub = await HubUnderTest.start(CONFIG);
  script = await PythonScript.start('follow.py', { RK_URL: hub.url, RK_CHANNELS: 'orders', RK_ASK_TOKEN: '1' });
  // The first token expires within one to two seconds; the refreshed one lasts.
  await script.waitFor('token');
  script.send(`token ${await jwt('shop-ui', 1)}`);
  const [info] = await script.waitFor('connected');
  expect(info).toMatchObject({ client_id: 'shop-ui', auth: 'jwt' });
  script.send('publish orders order.created {"sku":"A-1"}');
  const [published] = await script.waitFor('published');
  script.send('hold');
  await script.waitFor('done', 2);

  const [closed] = await script.waitFor('disconnected', 1, 5000);
  expect(closed).toMatchObject({ code: 4001, will_reconnect: true });
  // Posted while the client has no valid token, by another caller with its own.
  const missed = await hub.send(
    { channel: 'orders', type: 'order.paid', payload: { sku: 'A-1' } },
    { authorization: `Bearer ${await jwt('backend', 3600)}` },
  );
  script.send('release');
  await script.waitFor('token', 2);
  script.send(`token ${await jwt('shop-ui', 3600)}`);
  const events = await script.waitFor('event', 2);
  expect(script.of('token').map((t) => t.refresh)).toEqual([false, true]);
  expect(events.map((e) => e.id)).toEqual([published.id, missed]);
  expect(events[0]).toMatchObject({ sender: 'shop-ui', type: 'order.created', data: { sku: 'A-1' } });
}, 30_000);

test('Python: a fixed token the hub refuses stops the client with RELAYKIT_CLIENT_REFUSED', async () => {
  hub = await HubUnderTest.start(CONFIG);
  script = await PythonScript.start('follow.py', { RK_URL: hub.url, RK_FIXED_TOKEN: 'not-a-jwt' });
  script.send('connect');
  const [stopped] = await script.waitFor('stopped');
  expect(stopped).toEqual({ kind: 'stopped', code: 'RELAYKIT_CLIENT_CLOSED', state: 'closed' });
  expect(script.of('error').map((e) => e.code)).toEqual(['RELAYKIT_CLIENT_REFUSED']);
  expect(await script.finish()).toBe(0);
}, 30_000);

test('Python: a hub that stops answering is detected by the heartbeat; the client reconnects once it answers again', async () => {
  hub = await HubUnderTest.start();
  script = await PythonScript.start('follow.py', {
    RK_URL: hub.url,
    RK_CHANNELS: 'jobs',
    RK_HEARTBEAT: '0.15,0.1',
    RK_BACKOFF: '0.5,1',
  });
  await script.waitFor('connected');
  // Idle but alive for many heartbeat intervals: the pings are answered, nothing is declared dead.
  await Bun.sleep(1000);
  expect(script.of('disconnected')).toEqual([]);

  // Frozen: the TCP connection stays up, nothing answers.
  hub.process.proc.kill('SIGSTOP');
  const [gone] = await script.waitFor('disconnected', 1, 5000);
  expect(gone).toEqual({ kind: 'disconnected', code: 1006, reason: 'heartbeat timeout', will_reconnect: true });

  hub.process.proc.kill('SIGCONT');
  await script.waitFor('connected', 2, 15_000);
  const id = await hub.send({ channel: 'jobs', type: 'job.created', payload: 1 });
  const [event] = await script.waitFor('event');
  expect(event.id).toBe(id);
}, 30_000);
