/**
 * The planner agent, over WebSocket with @relaykit/realtime: it hands tasks to the
 * coder on the `tasks` channel and waits for the coder's answers, which arrive as
 * direct messages. If the hub restarts meanwhile, the client reconnects and resumes:
 * no answer is lost.
 *
 *   bun examples/agent-bridge/planner.ts        (ROUNDS=3 by default)
 */
import { RealtimeClient } from '@relaykit/realtime';
import { type BridgeEvents, HUB_URL, TOKEN } from './events.ts';

const TASKS = [
  'Write a parser for the config file',
  'Add tests for the parser',
  'Document the config options',
  'Review the error messages',
  'Benchmark the hot path',
];
const rounds = Number(process.env.ROUNDS ?? 3);

const hub = new RealtimeClient<BridgeEvents>({ url: HUB_URL, clientId: 'planner', token: TOKEN });
hub.on('reconnecting', ({ attempt, delayMs }) =>
  console.log(`planner: hub unreachable, retry ${attempt} in ${delayMs} ms`),
);
hub.on('error', (error) => console.error(`planner: ${error.code} ${error.message}`));

const waiting = new Set<number>();
const allDone = Promise.withResolvers<void>();
hub.onEvent('task.done', ({ id, from, data }) => {
  if (!waiting.delete(data.task)) return;
  console.log(`planner ← ${from}: task ${data.task} done: ${data.summary} (message ${id})`);
  if (waiting.size === 0) allDone.resolve();
});

const { clientId } = await hub.connect();
console.log(`planner: connected over WebSocket as ${clientId}`);
for (let task = 1; task <= rounds; task++) {
  const title = TASKS[(task - 1) % TASKS.length];
  waiting.add(task);
  const { messageId } = await hub.publish('tasks', 'task.assigned', { task, title });
  console.log(`planner → tasks: task ${task} "${title}" (message ${messageId})`);
}

const timeout = setTimeout(() => allDone.reject(new Error(`no answer for tasks ${[...waiting].join(', ')}`)), 30_000);
try {
  await allDone.promise;
  console.log(`planner: all ${rounds} tasks done`);
} finally {
  clearTimeout(timeout);
  hub.close();
}
