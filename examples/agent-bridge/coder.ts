/**
 * The coder agent, over SSE and plain HTTP: it reads tasks from the hub's event stream
 * (`GET /stream/events`) and answers each with `POST /messages` addressed to whoever
 * assigned it. The SSE helper of @relaykit/realtime resumes by Last-Event-ID after a
 * disconnect; LAST_EVENT_ID=<id> makes it start after that id (0: every task ever posted).
 *
 *   bun examples/agent-bridge/coder.ts
 */
import { RealtimeStream } from '@relaykit/realtime';
import { type BridgeEvents, HUB_URL, TOKEN } from './events.ts';

const stream = new RealtimeStream<BridgeEvents>({
  url: HUB_URL,
  clientId: 'coder',
  channels: ['tasks'],
  types: ['task.assigned'],
  token: TOKEN,
  ...(process.env.LAST_EVENT_ID ? { lastEventId: Number(process.env.LAST_EVENT_ID) } : {}),
});

/** Stands in for the real work (an LLM call, a build...). */
function work(title: string): string {
  const words = title.split(/\s+/).length;
  return `${title.toLowerCase()}: done in ${words} steps`;
}

async function answer(to: string, task: number, summary: string): Promise<void> {
  const res = await fetch(`${HUB_URL}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) },
    body: JSON.stringify({ from: 'coder', to, type: 'task.done', payload: { task, summary } }),
  });
  if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: number };
  console.log(`coder → ${to}: task ${task} done (message ${id})`);
}

stream.onEvent('task.assigned', ({ id, from, data }) => {
  console.log(`coder ← ${from}: task ${data.task} "${data.title}" (message ${id})`);
  answer(from ?? 'planner', data.task, work(data.title)).catch((error) => console.error(`coder: ${error}`));
});
stream.on('connected', ({ streamId, reconnected }) =>
  console.log(`coder: ${reconnected ? 'reconnected' : 'ready'}, reading tasks over SSE (stream ${streamId})`),
);
stream.on('disconnected', ({ reason }) => console.log(`coder: stream lost (${reason}), resuming`));
stream.on('error', (error) => console.error(`coder: ${error.code} ${error.message}`));

await stream.connect();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stream.close();
    process.exit(0);
  });
}
