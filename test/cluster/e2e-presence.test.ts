/**
 * Presence across nodes: `GET /ws/channels/:channel` on any node lists the
 * subscribers of every node (with clients per node), `/ws/channels`, `/ws/status`
 * and `/stream/stats` add the whole cluster, and the clients of a SIGKILLed node
 * drop out within seconds (its heartbeat stops).
 */
import { expect, test } from 'bun:test';
import { EventSource } from 'eventsource';
import { createTestDatabase } from '../helpers/postgres.ts';
import { BUN } from '../helpers/process.ts';
import { Cluster, type Node, openStream, waitFor } from './cluster-harness.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const TOKEN = 'cluster-presence-admin-0123456789';

/** Connects (as `as`, when given), subscribes to `channel` (or several), resolves with the client id the hub gave. */
async function join(node: Node, channel: string | string[], as?: string): Promise<{ clientId: string; ws: WebSocket }> {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws${as ? `?client_id=${as}` : ''}`);
  let clientId = '';
  await new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error('WebSocket failed'));
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as { type: string; client_id?: string };
      if (frame.type === 'connected') {
        clientId = frame.client_id ?? '';
        ws.send(JSON.stringify({ type: 'subscribe', channels: [channel].flat() }));
      } else if (frame.type === 'subscribed') resolve();
    };
  });
  return { clientId, ws };
}

test.skipIf(!db)(
  'presence lists the subscribers of every node, and a killed node stops counting within seconds',
  async () => {
    if (!db) return;
    const cluster = new Cluster([BUN, BUN], db.url(), `watch: false\nauth:\n  adminToken: ${TOKEN}\n`);
    try {
      await cluster.start();
      const [a, b] = cluster.nodes;
      const onA = await join(a, 'room');
      const onB = await join(b, 'room');
      const clients = async (node: Node) =>
        (await node.json<{ clients: string[] }>('/ws/channels/room', { headers: { authorization: `Bearer ${TOKEN}` } }))
          .body.clients ?? [];
      const both = [onA.clientId, onB.clientId].sort();
      await waitFor(async () => (await clients(a)).join() === both.join(), 5000, 'both clients on node a');
      expect(await clients(b)).toEqual(both);

      // The stats routes add the whole cluster, with clients per node.
      const admin = { headers: { authorization: `Bearer ${TOKEN}` } };
      const detail = await b.json<{ subscribers: number; nodes: Record<string, number> }>('/ws/channels/room', admin);
      expect(detail.body).toMatchObject({ subscribers: 1, nodes: { [a.name]: 1, [b.name]: 1 } });
      const onlyOnA = await join(a, 'only-a');
      await waitFor(
        async () => (await b.json<{ total: number }>('/ws/channels?prefix=only', admin)).body.total === 2,
        5000,
        'only-a listed on node b',
      );
      const list = await b.json<{
        channels: Array<{ name: string; subscribers: number; clients: number; nodes: Record<string, number> }>;
      }>('/ws/channels?prefix=only', admin);
      expect(list.body.channels).toEqual([
        { name: 'only-a', subscribers: 0, system: false, clients: 1, nodes: { [a.name]: 1 } },
      ] as never);
      const status = await b.json<{ channels: number; cluster: { channels: number; nodes: Record<string, unknown> } }>(
        '/ws/status',
        admin,
      );
      expect(status.body.channels).toBe(1);
      expect(status.body.cluster).toEqual({
        channels: 2,
        nodes: { [a.name]: { channels: 2, subscriptions: 2 }, [b.name]: { channels: 1, subscriptions: 1 } },
      });
      onlyOnA.ws.close();
      const stream = new EventSource(`${a.url}/stream/events?channels=news&client_id=reader`);
      type SseStats = { streams: number; cluster?: { channels: number; nodes: Record<string, { channels: number }> } };
      await waitFor(
        async () => (await b.json<SseStats>('/stream/stats')).body.cluster?.nodes[a.name]?.channels === 2,
        5000,
        "node a's stream (news and the broadcast channel) in node b's stats",
      );
      expect((await b.json<SseStats>('/stream/stats')).body).toMatchObject({
        streams: 0,
        cluster: { channels: 2, nodes: { [a.name]: { channels: 2, subscriptions: 2 } } },
      });
      stream.close();

      // One client with two connections on node a stays present until its last one leaves.
      const twinOne = await join(a, 'room', 'twin');
      const twinTwo = await join(a, 'room', 'twin');
      await waitFor(async () => (await clients(b)).includes('twin'), 5000, 'twin listed on node b');
      const subscriptionsOnA = async () =>
        (await a.json<{ subscriptions: number }>('/ws/status', admin)).body.subscriptions;
      const withTwins = await subscriptionsOnA();
      twinOne.ws.close();
      await waitFor(async () => (await subscriptionsOnA()) === withTwins - 1, 5000, 'one twin gone on node a');
      expect(await clients(a)).toContain('twin');
      expect(await clients(b)).toContain('twin');
      twinTwo.ws.close();
      await waitFor(async () => !(await clients(b)).includes('twin'), 5000, 'twin gone on node b');

      // Leaving is shared too.
      onA.ws.close();
      await waitFor(async () => (await clients(b)).join() === onB.clientId, 5000, 'node a client gone on node b');

      const again = await join(a, 'room');
      await b.kill('SIGKILL');
      await waitFor(async () => (await clients(a)).join() === again.clientId, 10_000, 'the dead node to stop counting');
      const after = await a.json<{ cluster: unknown }>('/ws/status', admin);
      expect(after.body.cluster).toEqual({ channels: 1, nodes: { [a.name]: { channels: 1, subscriptions: 1 } } });
      again.ws.close();
    } finally {
      await cluster.dispose();
    }
  },
  60_000,
);

test.skipIf(!db)(
  'once a WebSocket reads subscribed or a stream reads relaykit.connected, every node lists the client',
  async () => {
    if (!db) return;
    const cluster = new Cluster([BUN, BUN], db.url(), `watch: false\nauth:\n  adminToken: ${TOKEN}\n`);
    try {
      await cluster.start();
      const [a, b] = cluster.nodes;
      const admin = { headers: { authorization: `Bearer ${TOKEN}` } };
      // One subscribe of many channels: their presence writes run one after the other.
      const channels = Array.from({ length: 40 }, (_, i) => `quick-${i}`);
      for (const [node, other] of [
        [a, b],
        [b, a],
      ]) {
        const joined = await join(node, channels);
        const last = channels.at(-1);
        const listed = await other.json<{ clients: string[] }>(`/ws/channels/${last}`, admin);
        expect(listed.body.clients).toContain(joined.clientId);
        const all = await other.json<{ channels: { name: string; clients: number }[] }>(
          '/ws/channels?prefix=quick-',
          admin,
        );
        expect(all.body.channels.map((c) => c.name).sort()).toEqual([...channels].sort());
        joined.ws.close();
      }

      // An SSE stream, the same: once it reads relaykit.connected, the other node counts its channels.
      const many = Array.from({ length: 30 }, (_, i) => `stream-${i}`);
      for (const [node, other] of [
        [a, b],
        [b, a],
      ]) {
        const stream = await openStream(node, many.join(','));
        type Stats = { cluster?: { nodes: Record<string, { channels: number; subscriptions: number }> } };
        const stats = await other.json<Stats>('/stream/stats');
        // Its channels and the broadcast channel every stream takes.
        expect(stats.body.cluster?.nodes[node.name]).toEqual({ channels: 31, subscriptions: 31 });
        stream.close();
        await waitFor(
          async () => (await other.json<Stats>('/stream/stats')).body.cluster?.nodes[node.name] === undefined,
          5000,
          'the stream to leave',
        );
      }
    } finally {
      await cluster.dispose();
    }
  },
  60_000,
);
