/**
 * Load generator for the WebSocket fan-out benchmark (runs pinned to its own core).
 *
 * Opens N WebSocket subscribers to channel `bench`, measures the server's memory per
 * idle connection, then posts numbered messages over HTTP and records, for every
 * delivery, its end-to-end latency (post sent → frame received, one process clock)
 * and whether each subscriber saw the sequence without a gap or a duplicate.
 *
 * Phases: `latency` posts at a fixed rate both servers sustain; `throughput` posts as
 * fast as deliveries keep up (at most `window` messages not yet delivered to everyone).
 *
 * `--protocol=socketio` speaks Socket.IO 4 (Engine.IO v4 over a raw WebSocket: `40`
 * joins the main namespace, `42["subscribe",…]` subscribes, pings `2` get `3`) instead
 * of ws-channels' JSON frames. `--protocol=pusher` speaks Pusher protocol 7 on
 * `/app/{key}` and triggers events through the signed Pusher HTTP API. All read every
 * frame the same way (the raw text and `indexOf`), so the load generator costs the same
 * per delivery for every target and only the servers differ.
 *
 * Order checks: ws-channels and Socket.IO frames carry the hub's id (dense: only this
 * channel is posted to), so a subscriber must see consecutive ids. Pusher frames carry
 * no id; there every subscriber must see each event once and all of them in the same
 * order (the commit order, which can differ from the numbering of 8 concurrent posts).
 *
 * Prints one JSON object on stdout.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    pid: { type: 'string' },
    clients: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '3' },
    messages: { type: 'string', default: '1000' },
    window: { type: 'string', default: '32' },
    protocol: { type: 'string', default: 'relaykit' },
    app: { type: 'string', default: 'bench' },
    key: { type: 'string', default: 'bench-key' },
    secret: { type: 'string', default: 'bench-secret' },
  },
});
const base = values.url as string;
const N = Number(values.clients);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MESSAGES = Number(values.messages);
const WINDOW = Number(values.window);
const SOCKET_IO = values.protocol === 'socketio';
const PUSHER = values.protocol === 'pusher';
if (!SOCKET_IO && !PUSHER && values.protocol !== 'relaykit') throw new Error(`unknown --protocol ${values.protocol}`);

function rssBytes(pid: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

// -- subscribers -------------------------------------------------------------------------

const expected = new Int32Array(N);
let gaps = 0;
let duplicates = 0;
let delivered = 0;
let subscribed = 0;
const closes = new Map<number, number>();
/** performance.now() at which each seq was posted. */
const sentAt: number[] = [];
let latencies = new Float64Array(0);
let latencyCount = 0;
let lastDeliveryAt = 0;

/** Pusher: which events each subscriber saw, and the order the first to see a position saw. */
const TOTAL = 1 + RATE * SECONDS + MESSAGES;
const seen = PUSHER ? new Uint8Array(N * TOTAL) : new Uint8Array(0);
const position = PUSHER ? new Int32Array(N) : new Int32Array(0);
const order = PUSHER ? new Int32Array(TOTAL).fill(-1) : new Int32Array(0);
let outOfOrder = 0;

function onPusherFrame(index: number, text: string): void {
  // The event's data is a JSON string inside the frame: `"data":"{\"seq\":12}"`.
  const at = text.indexOf('seq\\":');
  if (at < 0) {
    if (text.includes('subscription_succeeded')) subscribed++;
    return;
  }
  const seq = Number.parseInt(text.slice(at + 6, at + 18), 10);
  const now = performance.now();
  if (seen[index * TOTAL + seq]) duplicates++;
  else {
    seen[index * TOTAL + seq] = 1;
    const p = position[index]++;
    if (order[p] < 0) order[p] = seq;
    else if (order[p] !== seq) outOfOrder++;
  }
  delivered++;
  lastDeliveryAt = now;
  if (latencyCount < latencies.length) latencies[latencyCount++] = now - sentAt[seq];
}

function onFrame(index: number, text: string): void {
  if (PUSHER) {
    onPusherFrame(index, text);
    return;
  }
  const at = text.indexOf('"seq":');
  if (at < 0) {
    if (text.includes('"subscribed"')) subscribed++;
    return;
  }
  const seq = Number.parseInt(text.slice(at + 6, at + 18), 10);
  const idAt = text.indexOf('"id":');
  const id = Number.parseInt(text.slice(idAt + 5, idAt + 17), 10);
  const now = performance.now();
  // Ids are the server's order (and contiguous: only this channel is posted to). The
  // first delivery to each client is the warm-up message: it sets the baseline.
  const want = expected[index] || id;
  if (id > want) gaps += id - want;
  if (id < want) duplicates++;
  else expected[index] = id + 1;
  delivered++;
  lastDeliveryAt = now;
  if (latencyCount < latencies.length) latencies[latencyCount++] = now - sentAt[seq];
}

/** Opens one subscriber; resolves once it asked to subscribe to `bench`. */
function connect(index: number, sockets: WebSocket[]): Promise<void> {
  const ws_ = base.replace(/^http/, 'ws');
  const url = SOCKET_IO
    ? `${ws_}/socket.io/?EIO=4&transport=websocket`
    : PUSHER
      ? `${ws_}/app/${values.key}?protocol=7&client=bench`
      : `${ws_}/ws?client_id=bench-${index}`;
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.onclose = (event) => closes.set(event.code, (closes.get(event.code) ?? 0) + 1);
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error(`client ${index} failed to connect`));
    if (PUSHER) {
      ws.onmessage = (event) => {
        const text = event.data as string;
        if (!text.includes('connection_established')) {
          onFrame(index, text);
          return;
        }
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'bench' } }));
        resolve();
      };
      return;
    }
    if (!SOCKET_IO) {
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: 'subscribe', channels: ['bench'] }));
        resolve();
      };
      ws.onmessage = (event) => onFrame(index, event.data as string);
      return;
    }
    // Engine.IO: `0{…}` opens, `40` joins the namespace, `2` is a ping; Socket.IO events are `42[…]`.
    ws.onmessage = (event) => {
      const text = event.data as string;
      if (text === '2') ws.send('3');
      else if (text.startsWith('0{')) ws.send('40');
      else if (text.startsWith('40')) {
        ws.send('42["subscribe",{"channels":["bench"]}]');
        resolve();
      } else onFrame(index, text);
    };
  });
}

async function connectAll(): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < N; start += 200) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(N, start + 200); i++) batch.push(connect(i, sockets));
    await Promise.all(batch);
  }
  while (subscribed < N) await Bun.sleep(10);
  return sockets;
}

// -- publisher ----------------------------------------------------------------------------

let nextSeq = 0;
let lastId = 0;

/** A Pusher HTTP API URL signed the way the server SDKs sign it. */
function signedUrl(path: string, body: string): string {
  const params: Record<string, string> = {
    auth_key: values.key as string,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: createHash('md5').update(body).digest('hex'),
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', values.secret as string)
    .update(`POST\n${path}\n${query}`)
    .digest('hex');
  return `${base}${path}?${query}&auth_signature=${signature}`;
}

async function triggerPusher(seq: number): Promise<void> {
  const path = `/apps/${values.app}/events`;
  const body = JSON.stringify({ name: 'tick', channels: ['bench'], data: JSON.stringify({ seq }) });
  const res = await fetch(signedUrl(path, body), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
}

async function post(): Promise<void> {
  const seq = nextSeq++;
  sentAt[seq] = performance.now();
  if (PUSHER) return triggerPusher(seq);
  const res = await fetch(`${base}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'bench', type: 'tick', payload: { seq } }),
  });
  if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}`);
  const { id } = (await res.json()) as { id: number };
  lastId = Math.max(lastId, id);
}

async function waitDelivered(target: number, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (delivered < target && Date.now() < deadline) await Bun.sleep(2);
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latencyPhase() {
  const count = RATE * SECONDS;
  latencies = new Float64Array(count * N);
  latencyCount = 0;
  const start = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    posts.push(post());
  }
  await Promise.all(posts);
  await waitDelivered(nextSeq * N);
  const sorted = latencies.subarray(0, latencyCount).sort();
  return { messages: count, p50ms: percentile(sorted, 50), p99ms: percentile(sorted, 99) };
}

async function throughputPhase() {
  latencies = new Float64Array(0);
  const before = delivered;
  const first = nextSeq;
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < MESSAGES; i++) {
    // Closed loop: never more than WINDOW messages ahead of the slowest deliveries.
    while (inflight.size >= 8 || nextSeq - first - (delivered - before) / N >= WINDOW) {
      await (inflight.size >= 8 ? Promise.race(inflight) : Bun.sleep(0));
    }
    const p = post().finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  await waitDelivered(before + MESSAGES * N);
  const seconds = (lastDeliveryAt - start) / 1000;
  return { messages: MESSAGES, deliveriesPerSecond: Math.round((delivered - before) / seconds) };
}

const pid = values.pid as string;
const rssBefore = rssBytes(pid);
const sockets = await connectAll();
await Bun.sleep(1000);
const rssAfter = rssBytes(pid);
await post();
await waitDelivered(N);
const latency = await latencyPhase();
const throughput = await throughputPhase();
const result = {
  clients: N,
  memoryPerConnectionBytes: Math.round((rssAfter - rssBefore) / N),
  latency,
  throughput,
  expectedDeliveries: nextSeq * N,
  delivered,
  gaps: PUSHER
    ? nextSeq * N - seen.reduce((sum, bit) => sum + bit, 0)
    : gaps + expected.reduce((sum, next) => sum + Math.max(0, lastId + 1 - next), 0),
  duplicates,
  outOfOrder,
  closes: Object.fromEntries(closes),
};
for (const ws of sockets) ws.close();
console.log(JSON.stringify(result));
process.exit(0);
