/**
 * ws-channels presence across nodes: `GET /ws/channels/:channel` on any node lists the
 * subscribers of every node, and the clients of a SIGKILLed node drop out within
 * seconds (its heartbeat stops).
 */
import { expect, test } from 'bun:test';
import { createTestDatabase } from '../helpers/postgres.ts';
import { BUN } from '../helpers/process.ts';
import { Cluster, type Node, waitFor } from './cluster-harness.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const TOKEN = 'cluster-presence-admin-0123456789';

/** Connects, subscribes to `channel`, resolves with the client id the hub gave. */
async function join(node: Node, channel: string): Promise<{ clientId: string; ws: WebSocket }> {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws`);
  let clientId = '';
  await new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error('WebSocket failed'));
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as { type: string; client_id?: string };
      if (frame.type === 'connected') {
        clientId = frame.client_id ?? '';
        ws.send(JSON.stringify({ type: 'subscribe', channels: [channel] }));
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

      // Leaving is shared too.
      onA.ws.close();
      await waitFor(async () => (await clients(b)).join() === onB.clientId, 5000, 'node a client gone on node b');

      const again = await join(a, 'room');
      await b.kill('SIGKILL');
      await waitFor(async () => (await clients(a)).join() === again.clientId, 10_000, 'the dead node to stop counting');
      again.ws.close();
    } finally {
      await cluster.dispose();
    }
  },
  60_000,
);
