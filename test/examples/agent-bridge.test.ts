import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, readmeCommands } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-agent-bridge-'));
const running: Command[] = [];
afterAll(async () => {
  for (const command of running.reverse()) await command.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the agent bridge runs as its README says: the planner (WebSocket) and the coder (SSE + HTTP) exchange every task', async () => {
  const commands = readmeCommands('examples/agent-bridge/README.md', 'run');
  expect(commands).toEqual([
    'bun run start',
    'bun examples/agent-bridge/coder.ts',
    'bun examples/agent-bridge/planner.ts',
  ]);
  const [startHub, startCoder, startPlanner] = commands;
  const hub = new Command(startHub, {
    env: { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: '0', RELAYKIT_STORAGE_URL: `sqlite:${dir}/hub.db` },
  });
  running.push(hub);
  const url = await hub.readyUrl();

  const coder = new Command(startCoder, { env: { RELAYKIT_URL: url } });
  running.push(coder);
  await coder.waitForLine(/^coder: ready, reading tasks over SSE/);
  const planner = new Command(startPlanner, { env: { RELAYKIT_URL: url } });
  running.push(planner);
  expect(await planner.finished()).toBe(0);

  expect(planner.lines).toContain('planner: connected over WebSocket as planner');
  expect(planner.lines.filter((l) => l.startsWith('planner ← coder: task '))).toHaveLength(3);
  expect(planner.lines.at(-1)).toBe('planner: all 3 tasks done');
  expect(coder.lines.filter((l) => l.startsWith('coder ← planner: task '))).toHaveLength(3);

  // The conversation as the hub stored it.
  const tasks = await (await fetch(`${url}/messages?channel=tasks`)).json();
  expect(tasks.messages.map((m: { from: string; type: string }) => [m.from, m.type])).toEqual([
    ['planner', 'task.assigned'],
    ['planner', 'task.assigned'],
    ['planner', 'task.assigned'],
  ]);
  const answers = await (await fetch(`${url}/messages?client=planner`)).json();
  expect(
    answers.messages
      .map((m: { from: string; type: string; payload: { task: number } }) => `${m.from} ${m.type} ${m.payload.task}`)
      .sort(),
  ).toEqual(['coder task.done 1', 'coder task.done 2', 'coder task.done 3']);
  expect(await coder.stop('SIGTERM')).toBe(0);
}, 30_000);
