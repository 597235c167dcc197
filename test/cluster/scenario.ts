/**
 * The cluster scenario both end-to-end runs share (PostgreSQL NOTIFY, Redis pub/sub):
 * three nodes (one on Deno when it is installed) on one database; publishers post
 * concurrently to every node; a WebSocket and an SSE subscriber on every node; the
 * broker drops publishes once (a killed connection); one node is SIGKILLed mid-load
 * and its subscribers resume on another node.
 *
 * What must hold: ids are dense; every acknowledged message is stored; every
 * subscriber got every stored message once, in id order (the resumed ones across
 * the two connections).
 */
import { expect } from 'bun:test';
import postgres from 'postgres';
import { availableRuntimes, BUN } from '../helpers/process.ts';
import { Cluster, type Subscriber, sequenceProblems, sseSubscriber, waitFor, wsSubscriber } from './cluster-harness.ts';

export interface ScenarioOptions {
  storageUrl: string;
  /** The `cluster:` section (broker settings), as YAML lines under it. */
  clusterYaml?: string;
  /** Makes the broker lose what is published for a moment (kills its connections). */
  dropPublishes(): Promise<void>;
  /** How many messages to post in all. */
  total?: number;
}

const CHANNEL = 'load';
const WRITERS_PER_NODE = 3;

export async function runClusterScenario(options: ScenarioOptions): Promise<void> {
  const total = options.total ?? 900;
  const deno = availableRuntimes().find((r) => r.name === 'deno');
  const config = [
    'watch: false',
    'limits:',
    '  messagesPerSecond: 100000',
    '  messageBurst: 100000',
    ...(options.clusterYaml ? ['cluster:', options.clusterYaml] : []),
    '',
  ].join('\n');
  const cluster = new Cluster([BUN, BUN, deno ?? BUN], options.storageUrl, config);
  const sql = postgres(options.storageUrl, { max: 1, onnotice: () => {} });
  try {
    await cluster.start();
    const [victim, rescuer] = cluster.nodes;

    // Health names the node and its broker, and every node is ready.
    type Health = { checks: Record<string, Array<{ observedValue: unknown; status: string }>> };
    for (const node of cluster.nodes) {
      await waitFor(async () => (await node.json('/health/ready')).status === 200, 10_000, `${node.name} ready`);
      // Every node reaches its broker: cluster:broker passes (a Redis node cut off alone would fail readiness).
      const status = await node.json<Health>('/health/status');
      expect(status.body.checks['cluster:broker'][0].status).toBe('pass');
      expect(status.body.checks['cluster:node'][0].observedValue).toBe(node.name);
    }

    const subscribers: Subscriber[] = [];
    for (const node of cluster.nodes) {
      subscribers.push(await wsSubscriber(node, CHANNEL, `ws@${node.name}`));
      subscribers.push(await sseSubscriber(node, CHANNEL, `sse@${node.name}`));
    }
    const victims = subscribers.filter((s) => s.label.endsWith(victim.name));

    const acknowledged: number[] = [];
    let remaining = total;
    let dropped = false;
    let killed = false;
    const faults: Promise<void>[] = [];
    const writer = async (node: (typeof cluster.nodes)[number], w: number) => {
      while (remaining > 0 && node.alive) {
        remaining--;
        const id = await node.post({ channel: CHANNEL, type: 'load', payload: { w, node: node.name } });
        if (id !== null) acknowledged.push(id);
        if (!dropped && acknowledged.length >= total / 4) {
          dropped = true;
          faults.push(options.dropPublishes());
        }
        if (!killed && acknowledged.length >= total / 2) {
          killed = true;
          faults.push(victim.kill('SIGKILL'));
        }
      }
    };
    const writers = cluster.nodes.flatMap((node) =>
      Array.from({ length: WRITERS_PER_NODE }, (_, w) => writer(node, w)),
    );

    // The killed node's clients reconnect to another node from the last id they got.
    const resumed = (async () => {
      await Promise.all(victims.map((s) => s.ended));
      for (const old of victims) {
        const again = old.label.startsWith('ws')
          ? await wsSubscriber(rescuer, CHANNEL, old.label, old.last(), old.ids)
          : await sseSubscriber(rescuer, CHANNEL, old.label, old.last(), old.ids);
        subscribers[subscribers.indexOf(old)] = again;
      }
    })();
    await Promise.all(writers);
    await Promise.all(faults);
    await resumed;
    expect(killed).toBe(true);

    const stored = (await sql<{ id: string }[]>`select id from messages order by id`).map((r) => Number(r.id));
    // Dense: 1..n without a hole, whatever node committed them.
    expect(stored.length).toBeGreaterThan(total / 2);
    expect(stored[stored.length - 1]).toBe(stored.length);
    // Nothing acknowledged is lost (stored may hold a few more: commits whose 201 died with the node).
    const storedSet = new Set(stored);
    expect(acknowledged.filter((id) => !storedSet.has(id))).toEqual([]);
    expect(stored.length - acknowledged.length).toBeLessThan(WRITERS_PER_NODE + 1);

    const last = stored[stored.length - 1];
    await waitFor(
      () => subscribers.every((s) => s.ids.includes(last)),
      20_000,
      `every subscriber to reach id ${last}`,
    ).catch(() => {});
    const problems = subscribers.flatMap((s) => sequenceProblems(s.label, s.ids, stored));
    expect(problems).toEqual([]);
    for (const s of subscribers) s.close();
  } finally {
    await cluster.dispose();
    await sql.end({ timeout: 1 });
  }
}
