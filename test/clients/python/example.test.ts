import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs, SDK_DIR } from './python.ts';

const AGENTS = join(SDK_DIR, 'examples/agents.py');
let t: TestHub | null = null;
const scripts: PythonScript[] = [];
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  for (const s of scripts.splice(0)) s.kill();
  await t?.stop();
  t = null;
});
afterAll(removeVenvs);

test('`pip install ./clients/python` installs the typed package, importable outside the repository', async () => {
  const script = await PythonScript.start('installed.py', {}, { cwd: tmpdir() });
  scripts.push(script);
  expect(await script.finish()).toBe(0);
  const [installed] = script.of('installed');
  expect(installed?.path).toContain('site-packages');
  expect(installed).toMatchObject({ typed: true, version: '0.1.0' });
}, 30_000);

test('the example: two Python agents hand tasks to each other through the hub', async () => {
  t = await startTestHub();
  const python = await installedPython();
  const env = { ...process.env, NO_PROXY: '127.0.0.1,localhost', PYTHONUNBUFFERED: '1' };
  const worker = Bun.spawn([python, AGENTS, 'worker', '--url', t.url], {
    env,
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: tmpdir(),
  });
  // The worker is ready once its client is connected and resumed: it prints `worker: ready`.
  const reader = worker.stdout.getReader();
  let workerOut = '';
  const deadline = Date.now() + 10_000;
  while (!workerOut.includes('worker: ready')) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
    if (!chunk || chunk.done)
      throw new Error(`the worker never got ready: ${await new Response(worker.stderr).text()}`);
    workerOut += new TextDecoder().decode(chunk.value);
  }
  const planner = Bun.spawn([python, AGENTS, 'planner', '--url', t.url, '--tasks', '4'], {
    env,
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: tmpdir(),
  });
  const [plannerCode, workerCode] = await Promise.all([planner.exited, worker.exited]);
  const plannerOut = await new Response(planner.stdout).text();
  expect(plannerCode).toBe(0);
  expect(workerCode).toBe(0);
  expect(plannerOut).toContain('planner: all 4 tasks done');
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    workerOut += new TextDecoder().decode(chunk.value);
  }
  expect(workerOut.match(/worker: finished task \d+/g)).toHaveLength(4);

  // Every task is stored, acknowledged by the worker, and answered.
  const tasks = (await (await t.request('/messages?client=worker&type=task.assigned')).json()) as {
    messages: Array<{ id: number; deliveredAt: string | null }>;
  };
  expect(tasks.messages).toHaveLength(4);
  for (const m of tasks.messages) expect(m.deliveredAt).not.toBeNull();
  const answers = (await (await t.request('/messages?client=planner&type=task.done')).json()) as {
    messages: Array<{ payload: { task: number } }>;
  };
  expect(answers.messages.map((m) => m.payload.task).sort()).toEqual(tasks.messages.map((m) => m.id).sort());
}, 60_000);
