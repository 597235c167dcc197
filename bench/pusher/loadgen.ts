/**
 * Load generator for the Pusher fan-out benchmark (runs pinned to its own core).
 *
 * Opens N pusher-protocol subscribers (`/app/{key}?protocol=7`, `pusher:subscribe` to
 * channel `bench`), measures the server's memory per idle connection, then triggers
 * numbered events through the signed Pusher HTTP API (`POST /apps/{id}/events`) and
 * records every delivery's latency (trigger sent → frame received, one process clock)
 * and whether each subscriber saw the numbers without a gap or a duplicate.
 * Same phases and JSON output as bench/ws/loadgen.ts.
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
const APP = values.app as string;

function rssBytes(pid: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

// -- subscribers -------------------------------------------------------------------------

const expected = new Int32Array(N).fill(-1);
let gaps = 0;
let duplicates = 0;
let delivered = 0;
let subscribed = 0;
const closes = new Map<number, number>();
const sentAt: number[] = [];
let latencies = new Float64Array(0);
let latencyCount = 0;
let lastDeliveryAt = 0;

function onFrame(index: number, text: string): void {
  // The event's data is a JSON string inside the frame: `"data":"{\"seq\":12}"`.
  const at = text.indexOf('seq\\":');
  if (at < 0) {
    if (text.includes('subscription_succeeded')) subscribed++;
    return;
  }
  const seq = Number.parseInt(text.slice(at + 6, at + 18), 10);
  const now = performance.now();
  const want = expected[index] < 0 ? seq : expected[index];
  if (seq > want) gaps += seq - want;
  if (seq < want) duplicates++;
  else expected[index] = seq + 1;
  delivered++;
  lastDeliveryAt = now;
  if (latencyCount < latencies.length) latencies[latencyCount++] = now - sentAt[seq];
}

async function connectAll(): Promise<WebSocket[]> {
  const wsUrl = `${base.replace(/^http/, 'ws')}/app/${values.key}?protocol=7&client=bench`;
  const sockets: WebSocket[] = [];
  for (let start = 0; start < N; start += 200) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(N, start + 200); i++) {
      const ws = new WebSocket(wsUrl);
      sockets.push(ws);
      batch.push(
        new Promise((resolve, reject) => {
          ws.onmessage = (event) => {
            const text = event.data as string;
            if (text.includes('connection_established')) {
              ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'bench' } }));
              ws.onmessage = (e) => onFrame(i, e.data as string);
              resolve();
            }
          };
          ws.onerror = () => reject(new Error(`client ${i} failed to connect`));
        }),
      );
      ws.onclose = (event) => closes.set(event.code, (closes.get(event.code) ?? 0) + 1);
    }
    await Promise.all(batch);
  }
  while (subscribed < N) await Bun.sleep(10);
  return sockets;
}

// -- publisher (Pusher HTTP API, signed as the server SDKs sign) ----------------------------

let nextSeq = 0;

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

async function post(): Promise<void> {
  const seq = nextSeq++;
  sentAt[seq] = performance.now();
  const path = `/apps/${APP}/events`;
  const body = JSON.stringify({ name: 'tick', channels: ['bench'], data: JSON.stringify({ seq }) });
  const res = await fetch(signedUrl(path, body), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
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
    const wait = start + (i * 1000) / RATE - performance.now();
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
  gaps: gaps + expected.reduce((sum, next) => sum + Math.max(0, nextSeq - next), 0),
  duplicates,
  closes: Object.fromEntries(closes),
};
for (const ws of sockets) ws.close();
console.log(JSON.stringify(result));
process.exit(0);
