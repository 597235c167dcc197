/**
 * Channel occupancy once per cluster: `channel.occupied` / `channel.vacated` are
 * published by the one node whose presence write changed the channel's cluster-wide
 * state, for WebSocket and SSE subscribers alike; a SIGKILLed node's channels are
 * vacated once, by the surviving node whose sweep deleted their entries.
 */
import { expect, test } from 'bun:test';
import { createTestDatabase } from '../helpers/postgres.ts';
import { BUN } from '../helpers/process.ts';
import { TestClient } from '../plugins/ws-channels/client.ts';
import { Cluster, type Node, openStream, waitFor } from './cluster-harness.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const TOKEN = 'cluster-occupancy-admin-0123456789';

/** An admin WebSocket on one node that records the hub events of that node's bus. */
async function watch(node: Node): Promise<TestClient> {
  const admin = await TestClient.connect(node.url);
  admin.send({ type: 'auth', token: TOKEN });
  await admin.next('connected', (f) => f.auth === 'admin');
  await admin.request({ type: 'subscribe', channels: ['$hub:channel.*', '$hub:client.connected'] });
  return admin;
}

/** Every occupancy event seen by `watchers`, as `event channel transport`, sorted. */
function seen(watchers: TestClient[]): string[] {
  const lines: string[] = [];
  for (const w of watchers) {
    for (const f of w.events()) {
      if (!String(f.event).startsWith('channel.')) continue;
      const d = f.data as { channel: string; transport: string };
      if (!d.channel.startsWith('$hub:')) lines.push(`${String(f.event)} ${d.channel} ${d.transport}`);
    }
  }
  return lines.sort();
}

/**
 * Waits until the shared presence holds exactly `ws` (WebSocket channel -> clients,
 * system channels aside) and `sse` SSE subscriptions in all. A node acknowledges a
 * subscription before its presence write lands, and occupancy is decided by those
 * writes: a snapshot of the events taken before they land sees them half done (a
 * channel emptied by one node's late writes and taken again by another's).
 */
async function settled(node: Node, ws: Record<string, number>, sse: number): Promise<void> {
  const admin = { headers: { authorization: `Bearer ${TOKEN}` } };
  const state = async () => {
    const channels = (await node.json<{ channels: { name: string; clients: number }[] }>('/ws/channels', admin)).body
      .channels;
    const stats = (await node.json<SseStats>('/stream/stats', admin)).body;
    const streams = Object.values(stats.cluster?.nodes ?? {}).reduce((n, s) => n + s.subscriptions, 0);
    return {
      ws: Object.fromEntries(channels.filter((c) => !c.name.startsWith('$hub:')).map((c) => [c.name, c.clients])),
      sse: streams,
    };
  };
  const want = { ws, sse };
  await waitFor(async () => Bun.deepEquals(await state(), want), 10_000, `presence to hold ${JSON.stringify(want)}`);
}

interface SseStats {
  cluster?: { nodes: Record<string, { channels: number; subscriptions: number }> };
}

/**
 * Waits until every node's bus has carried everything published before now: a new
 * client on each node publishes `client.connected`, which its watcher receives after
 * every earlier event of that node.
 */
async function barrier(nodes: Node[], watchers: TestClient[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node, i) => {
      const probe = await TestClient.ready(node.url, { client_id: `probe-${crypto.randomUUID()}` });
      const id = (probe.frames.find((f) => f.type === 'connected')?.client_id ?? '') as string;
      await watchers[i].next('event', (f) => (f.data as { clientId?: string }).clientId === id, 10_000);
      probe.close();
    }),
  );
}

async function subscribe(node: Node, channel: string): Promise<TestClient> {
  const client = await TestClient.ready(node.url);
  await client.request({ type: 'subscribe', channels: [channel] });
  return client;
}

test.skipIf(!db)(
  'channel.occupied and channel.vacated are published once per cluster, also for a killed node',
  async () => {
    if (!db) return;
    const cluster = new Cluster([BUN, BUN], db.url(), `watch: false\nauth:\n  adminToken: ${TOKEN}\n`);
    try {
      await cluster.start();
      const [a, b] = cluster.nodes;
      const watchers = [await watch(a), await watch(b)];

      // WebSocket subscribers of one channel on both nodes, several per node.
      const ws = [await subscribe(a, 'room'), await subscribe(b, 'room'), await subscribe(a, 'room')];
      ws.push(await subscribe(b, 'room'));
      await settled(a, { room: 4 }, 0);
      await barrier([a, b], watchers);
      expect(seen(watchers)).toEqual(['channel.occupied room ws']);
      for (const client of ws) client.close();
      await settled(a, {}, 0);
      await barrier([a, b], watchers);
      expect(seen(watchers)).toEqual(['channel.occupied room ws', 'channel.vacated room ws']);

      // SSE streams, the same.
      const streams = [await openStream(a, 'feed'), await openStream(b, 'feed'), await openStream(b, 'feed')];
      // Each stream also takes the broadcast channel.
      await settled(b, {}, 6);
      await barrier([a, b], watchers);
      expect(seen(watchers).filter((l) => l.includes(' feed '))).toEqual(['channel.occupied feed sse']);
      for (const s of streams) s.close();
      await settled(b, {}, 0);
      await barrier([a, b], watchers);
      // Every stream also takes the broadcast channel: occupied and vacated once as well.
      expect(seen(watchers).filter((l) => / (feed|broadcast) /.test(l))).toEqual([
        'channel.occupied broadcast sse',
        'channel.occupied feed sse',
        'channel.vacated broadcast sse',
        'channel.vacated feed sse',
      ]);

      // A node killed with subscribers: the channels only it held are vacated once, by the survivor's sweep.
      const onB = [await subscribe(b, 'doomed'), await subscribe(b, 'shared')];
      const onA = await subscribe(a, 'shared');
      const doomedStream = await openStream(b, 'doomed-sse');
      await settled(a, { doomed: 1, shared: 2 }, 2);
      await barrier([a, b], watchers);
      const before = seen(watchers);
      expect(before.filter((l) => /doomed|shared/.test(l))).toEqual([
        'channel.occupied doomed ws',
        'channel.occupied doomed-sse sse',
        'channel.occupied shared ws',
      ]);
      await b.kill('SIGKILL');
      for (const c of onB) c.close();
      doomedStream.close();
      const onlyA = [watchers[0]];
      await waitFor(
        async () => seen(onlyA).filter((l) => l.startsWith('channel.vacated doomed')).length === 2,
        15_000,
        "the dead node's channels to be vacated",
      );
      await barrier([a], onlyA);
      expect(seen(onlyA).filter((l) => /doomed|shared/.test(l) && l.startsWith('channel.vacated'))).toEqual([
        'channel.vacated doomed ws',
        'channel.vacated doomed-sse sse',
      ]);
      onA.close();
      await waitFor(
        async () => seen(onlyA).includes('channel.vacated shared ws'),
        10_000,
        'shared to be vacated by its last subscriber',
      );
      for (const w of watchers) w.close();
    } finally {
      await cluster.dispose();
    }
  },
  90_000,
);
