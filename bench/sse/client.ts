/**
 * The load generator: opens N SSE streams over raw TCP sockets (no fetch limit, cheap
 * parsing), measures the server's memory per idle stream, then publishes M messages
 * (W in flight) and records every delivery: throughput, end-to-end latency and
 * per-stream sequence gaps. Prints one JSON line.
 *
 *   bun bench/sse/client.ts --target relaykit|anchor --port P --pid SERVER_PID --streams N --messages M [--window W]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    pid: { type: 'string' },
    streams: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '200' },
    window: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '120000' },
  },
});
const target = values.target as 'relaykit' | 'anchor';
const port = Number(values.port);
const serverPid = Number(values.pid);
const N = Number(values.streams);
const M = Number(values.messages);
const W = Number(values.window);

interface Conn {
  head: string;
  body: boolean;
  status: number;
  /** Chunked transfer decoding state. */
  remaining: number;
  skip: number;
  sizeLine: string;
  events: string;
  /** Last event-log id seen. */
  lastSeq: number;
  received: number;
  gaps: number;
}

const latencies = new Float64Array(N * M);
let delivered = 0;
let open = 0;
let closedEarly = 0;
let lastDeliveryAt = 0;

function onEvents(conn: Conn, text: string): void {
  let at = text.indexOf(',"id":');
  while (at >= 0) {
    // The event-log id: every stream gets every message, so ids must be consecutive.
    const seq = Number(text.slice(at + 6, text.indexOf(',', at + 1)));
    const tAt = text.indexOf('"t":', at);
    const t = Number(text.slice(tAt + 4, text.indexOf('}', tAt)));
    const now = performance.now();
    if (seq !== conn.lastSeq + 1) conn.gaps++;
    conn.lastSeq = seq;
    conn.received++;
    if (delivered < latencies.length) latencies[delivered] = now - t;
    delivered++;
    lastDeliveryAt = now;
    at = text.indexOf(',"id":', tAt);
  }
}

/** Takes SSE text; hands complete events on. */
function onBody(conn: Conn, text: string): void {
  conn.events += text;
  const end = conn.events.lastIndexOf('\n\n');
  if (end < 0) return;
  onEvents(conn, conn.events.slice(0, end));
  conn.events = conn.events.slice(end + 2);
}

/** Decodes HTTP/1.1 chunked transfer encoding (latin1 text, so lengths are bytes). */
function onChunked(conn: Conn, s: string): void {
  let i = 0;
  while (i < s.length) {
    if (conn.remaining > 0) {
      const take = Math.min(conn.remaining, s.length - i);
      onBody(conn, s.substr(i, take));
      i += take;
      conn.remaining -= take;
      if (conn.remaining === 0) conn.skip = 2;
    } else if (conn.skip > 0) {
      i++;
      conn.skip--;
    } else {
      const joined = conn.sizeLine + s.slice(i);
      const nl = joined.indexOf('\r\n');
      if (nl < 0) {
        conn.sizeLine = joined;
        return;
      }
      i += nl - conn.sizeLine.length + 2;
      conn.sizeLine = '';
      conn.remaining = Number.parseInt(joined.slice(0, nl), 16);
      if (conn.remaining === 0) return;
    }
  }
}

function onData(conn: Conn, s: string): void {
  if (conn.body) {
    onChunked(conn, s);
    return;
  }
  conn.head += s;
  const end = conn.head.indexOf('\r\n\r\n');
  if (end < 0) return;
  conn.status = Number(conn.head.slice(9, 12));
  conn.body = true;
  if (conn.status === 200) open++;
  const rest = conn.head.slice(end + 4);
  conn.head = '';
  if (rest) onChunked(conn, rest);
}

function rssBytes(): number {
  process.kill(serverPid, 'SIGUSR2');
  Bun.sleepSync(300);
  const status = readFileSync(`/proc/${serverPid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** CPU time the server has used so far (user + system), in ms. */
function serverCpuMs(): number {
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

const path = target === 'relaykit' ? '/stream/events?channels=bench&client_id=c' : '/events?c=';
const conns: Conn[] = [];
const rssBefore = rssBytes();
for (let i = 0; i < N; i++) {
  const conn: Conn = {
    head: '',
    body: false,
    status: 0,
    remaining: 0,
    skip: 0,
    sizeLine: '',
    events: '',
    lastSeq: 0,
    received: 0,
    gaps: 0,
  };
  conns.push(conn);
  await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      open(socket) {
        socket.write(`GET ${path}${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      },
      data(_socket, data) {
        onData(conn, Buffer.from(data).toString('latin1'));
      },
      close() {
        if (conn.received < M) closedEarly++;
      },
      error() {},
    },
  });
  // Let the server keep up with the accepts.
  if (i % 200 === 199) await until(() => open >= i - 100, 30_000, 'streams to open');
}
await until(() => open === N, 30_000, `${N} streams (open: ${open})`);
await Bun.sleep(500);
const rssConnected = rssBytes();

const publishUrl = target === 'relaykit' ? `http://127.0.0.1:${port}/messages` : `http://127.0.0.1:${port}/publish`;
let next = 1;
const cpuBefore = serverCpuMs();
const started = performance.now();
async function publisher(): Promise<void> {
  while (next <= M) {
    const seq = next++;
    const res = await fetch(publishUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'bench', type: 'tick', payload: { seq, t: performance.now() } }),
    });
    if (res.status !== 201) throw new Error(`publish answered ${res.status}`);
    await res.arrayBuffer();
  }
}
await Promise.all(Array.from({ length: W }, publisher));
const published = performance.now();
const expected = N * M;
await until(
  () => delivered >= expected || performance.now() - published > Number(values.timeout),
  600_000,
  'deliveries',
).catch(() => {});
const cpuUsed = serverCpuMs() - cpuBefore;
// Anything late (a duplicate) would still arrive now.
await Bun.sleep(200);

const elapsed = lastDeliveryAt - started;
const sorted = latencies.slice(0, Math.min(delivered, latencies.length)).sort();
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
// A message that never arrived, arrived twice or out of order counts as a gap.
const gaps = conns.reduce((sum, c) => sum + c.gaps + Math.abs(M - c.received), 0);
console.log(
  JSON.stringify({
    target,
    streams: N,
    messages: M,
    expected,
    delivered,
    gaps,
    closedEarly,
    elapsedMs: Number(elapsed.toFixed(1)),
    publishMs: Number((published - started).toFixed(1)),
    deliveriesPerSec: Math.round((delivered / elapsed) * 1000),
    serverCpuUsPerDelivery: Number(((cpuUsed * 1000) / Math.max(1, delivered)).toFixed(2)),
    p50Ms: Number(pct(50).toFixed(2)),
    p99Ms: Number(pct(99).toFixed(2)),
    memPerStreamBytes: Math.round((rssConnected - rssBefore) / N),
    rssBefore,
    rssConnected,
  }),
);
process.exit(0);
