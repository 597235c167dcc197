import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs } from './python.ts';

let t: TestHub | null = null;
let script: PythonScript | null = null;
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  script?.kill();
  await t?.stop();
  t = script = null;
});
afterAll(removeVenvs);

async function send(message: Record<string, unknown>): Promise<number> {
  const res = await (t as TestHub).request('/messages', { method: 'POST', json: message });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

test('Python: async for over a channel, typed handlers that call the client, direct messages, failing handlers reported', async () => {
  t = await startTestHub();
  script = await PythonScript.start('handlers.py', { RK_URL: t.url });
  const [ready] = await script.waitFor('ready');
  expect(ready.subscriptions).toEqual(['requests', 'room']);
  expect(script.of('refused')).toEqual([{ kind: 'refused', code: 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN' }]);

  const question = await send({ channel: 'requests', type: 'question', payload: { n: 7 } });
  const [answered] = await script.waitFor('answered');
  expect(answered.request).toBe(question);
  const direct = await send({ to: 'py-agent', type: 'note', payload: {} });
  await script.waitFor('direct');
  expect(script.of('direct')).toEqual([{ kind: 'direct', id: direct, type: 'note' }]);
  await send({ channel: 'requests', type: 'boom', payload: null });
  await script.waitFor('error');
  expect(script.of('error').map((e) => e.code)).toEqual(['RELAYKIT_CLIENT_HANDLER_FAILED']);
  const note = await send({ channel: 'room', type: 'note', payload: 'hi' });
  const stop = await send({ channel: 'room', type: 'stop', payload: null });

  const [room] = await script.waitFor('room');
  expect(room.events).toEqual([
    { id: answered.reply, type: 'answer', data: { to: 7 } },
    { id: note, type: 'note', data: 'hi' },
    { id: stop, type: 'stop', data: null },
  ]);
  expect(await script.finish()).toBe(0);
}, 30_000);
