/**
 * Several `relaykit start` processes on one PostgreSQL database, acting as one hub,
 * and the clients the cluster end-to-end suites drive against them: publishers,
 * WebSocket and SSE subscribers that record every id they get and can resume on
 * another node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { waitFor } from '../helpers/hub.ts';
import { type HubProcess, type Runtime, spawnHub } from '../helpers/process.ts';

export { waitFor };

/** One node of the cluster under test. */
export class Node {
  proc: HubProcess | null = null;
  private boundPort: number | null = null;

  constructor(
    readonly name: string,
    readonly runtime: Runtime,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** The port the node's first start bound (port 0: the system's pick); restarts reuse it. */
  get port(): number {
    if (this.boundPort === null) throw new Error(`${this.name} has not started yet`);
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the node; a restart binds the port the first start got, where its clients
   * reconnect (another process could take it while the node is down: rare, accepted).
   */
  async start(): Promise<void> {
    this.proc = await spawnHub({
      cwd: this.dir,
      ...(this.boundPort === null ? {} : { port: this.boundPort }),
      runtime: this.runtime,
      args: ['--config', join(this.dir, 'relaykit.config.yaml')],
      env: { ...this.env, RELAYKIT_CLUSTER_NODE_ID: this.name },
    });
    this.boundPort = this.proc.port;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.proc.exitCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc?.proc;
    if (!proc || proc.exitCode !== null) return;
    proc.kill(signal);
    await proc.exited;
  }

  /** Posts one message; resolves with its id, or null when the node did not acknowledge it. */
  async post(message: Record<string, unknown>): Promise<number | null> {
    try {
      const res = await fetch(`${this.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      const body = (await res.json()) as { id?: number };
      return res.status === 201 && typeof body.id === 'number' ? body.id : null;
    } catch {
      return null;
    }
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, init);
    return { status: res.status, body: (await res.json()) as T };
  }
}

/** N nodes sharing `storageUrl`; the config file is the same for all (as in a real deployment). */
export class Cluster {
  readonly nodes: Node[];
  private readonly dir = mkdtempSync(join(tmpdir(), 'relaykit-cluster-'));

  /** `env(i)`: extra environment of node i (what `${VAR}` in the shared config file resolves to there). */
  constructor(
    runtimes: readonly Runtime[],
    storageUrl: string,
    config: string,
    env: (i: number) => Record<string, string> = () => ({}),
  ) {
    writeFileSync(join(this.dir, 'relaykit.config.yaml'), config);
    this.nodes = runtimes.map(
      (runtime, i) =>
        new Node(`node-${i}-${runtime.name}-${process.pid}`, runtime, this.dir, {
          RELAYKIT_STORAGE_URL: storageUrl,
          ...env(i),
        }),
    );
  }

  async start(): Promise<void> {
    // One after the other: the first runs the migrations, the others find them done (both race-safe anyway).
    for (const node of this.nodes) await node.start();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGTERM')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What a subscriber saw: ids in arrival order. */
export interface Subscriber {
  readonly label: string;
  readonly ids: number[];
  /** The last id received (the resume point). */
  last(): number;
  close(): void;
  /** Resolves when the connection ends (the node died). */
  readonly ended: Promise<void>;
}

/** A ws-channels client subscribed to `channel`, from `since` when given. */
export async function wsSubscriber(node: Node, channel: string, label: string, since?: number, ids: number[] = []) {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws`);
  let subscribed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  const ended = new Promise<void>((resolve) => {
    ws.onclose = () => resolve();
  });
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data)) as { type: string; id?: number };
    if (frame.type === 'connected') {
      ws.send(JSON.stringify({ type: 'subscribe', channels: [channel], ...(since === undefined ? {} : { since }) }));
    } else if (frame.type === 'subscribed') subscribed();
    else if (frame.type === 'event' && typeof frame.id === 'number') ids.push(frame.id);
  };
  await Promise.race([ready, ended.then(() => Promise.reject(new Error(`${label}: closed before subscribing`)))]);
  const sub: Subscriber = {
    label,
    ids,
    last: () => ids[ids.length - 1] ?? since ?? 0,
    close: () => ws.close(),
    ended,
  };
  return sub;
}

/** An SSE stream on `channels` (comma-separated), once it has read `relaykit.connected`. */
export async function openStream(node: Node, channels: string): Promise<EventSource> {
  const source = new EventSource(`${node.url}/stream/events?channels=${channels}`);
  await new Promise<void>((resolve, reject) => {
    source.addEventListener('relaykit.connected', () => resolve(), { once: true });
    source.onerror = () => reject(new Error('the stream failed to open'));
  });
  return source;
}

/** An SSE stream on `channel`, resuming after `lastEventId` when given. */
export async function sseSubscriber(
  node: Node,
  channel: string,
  label: string,
  lastEventId?: number,
  ids: number[] = [],
) {
  const query = `channels=${channel}${lastEventId === undefined ? '' : `&last_event_id=${lastEventId}`}`;
  const source = new EventSource(`${node.url}/stream/events?${query}`);
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  source.addEventListener('load', (e) => ids.push(Number(e.lastEventId)));
  // Reconnecting to a dead node would never succeed: the test resumes elsewhere instead.
  source.onerror = () => {
    source.close();
    ended();
  };
  await new Promise<void>((resolve, reject) => {
    source.addEventListener('relaykit.connected', () => resolve(), { once: true });
    done.then(() => reject(new Error(`${label}: the stream failed to open`)));
  });
  const sub: Subscriber = {
    label,
    ids,
    last: () => ids[ids.length - 1] ?? lastEventId ?? 0,
    close: () => {
      source.close();
      ended();
    },
    ended: done,
  };
  return sub;
}

/** Problems with one subscriber's sequence against the expected ids: gaps, duplicates, order. */
export function sequenceProblems(label: string, got: readonly number[], expected: readonly number[]): string[] {
  const problems: string[] = [];
  for (let i = 1; i < got.length; i++) {
    if (got[i] <= got[i - 1]) {
      problems.push(`${label}: id ${got[i]} came after ${got[i - 1]} (out of order or duplicate)`);
      break;
    }
  }
  const have = new Set(got);
  const missing = expected.filter((id) => !have.has(id));
  if (missing.length) problems.push(`${label}: missing ${missing.length} ids, first ${missing.slice(0, 5).join(',')}`);
  const want = new Set(expected);
  const extra = got.filter((id) => !want.has(id));
  if (extra.length) problems.push(`${label}: ${extra.length} ids not expected, first ${extra.slice(0, 5).join(',')}`);
  return problems;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
