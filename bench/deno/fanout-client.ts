/**
 * The fan-out load: opens `--clients` WebSockets to the hub's /bench/fanout, then posts
 * `--messages` messages (16 in flight) and waits until every client received every one.
 * Prints one JSON line: deliveries per second and the time from the first post to the
 * last delivery. Run pinned to the load core by bench/deno/run.ts.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    clients: { type: 'string', default: '200' },
    messages: { type: 'string', default: '1000' },
  },
});
const base = values.url as string;
const clients = Number(values.clients);
const messages = Number(values.messages);
const expected = clients * messages;

let delivered = 0;
let done: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  done = resolve;
});
const sockets = await Promise.all(
  Array.from(
    { length: clients },
    () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/bench/fanout`);
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error('WebSocket failed to open'));
        ws.onmessage = () => {
          if (++delivered === expected) done();
        };
      }),
  ),
);

const started = performance.now();
let next = 0;
async function poster(): Promise<void> {
  while (next < messages) {
    next++;
    const res = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"from":"bench","channel":"fanout","type":"bench.tick","payload":{"n":1,"text":"hello from the fan-out"}}',
    });
    if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}`);
    await res.arrayBuffer();
  }
}
await Promise.all(Array.from({ length: 16 }, poster));
const timeout = setTimeout(() => done(), 60_000);
await finished;
clearTimeout(timeout);
const seconds = (performance.now() - started) / 1000;
for (const ws of sockets) ws.close();
console.log(JSON.stringify({ delivered, expected, seconds, deliveriesPerSecond: delivered / seconds }));
