/**
 * What an operator sees of a cluster: health names the node and counts the live nodes.
 * A node cut off from Redis while its peer still reaches it (a partition of its own)
 * fails readiness, the peer stays ready; Redis cut off from every node (a shared outage)
 * only warns and every node stays ready. A node cut off from Redis keeps delivering what
 * other nodes commit (through its last-id check against the database). A plugin change
 * through the admin API is refused while other nodes share the hub (it would only change
 * this node), and accepted again once the other node is dead and stopped counting.
 */
import { expect, test } from 'bun:test';
import { URL } from 'node:url';
import postgres from 'postgres';
import { createTestDatabase } from '../helpers/postgres.ts';
import { BUN } from '../helpers/process.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { Cluster, waitFor, wsSubscriber } from './cluster-harness.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const redis = await createTestRedis(import.meta.path);
const TOKEN = 'cluster-admin-token-0123456789';

type Health = { output?: string; checks: Record<string, Array<{ observedValue: unknown; status: string }>> };

test.skipIf(!db || !redis)(
  'health names the node and counts live nodes; a node cut off from Redis alone is not ready, a shared Redis outage only warns; admin plugin changes are refused while another node is alive',
  async () => {
    if (!db || !redis) return;
    const target = new URL(redis.url);
    // Each node reaches Redis through a proxy of its own, cut below.
    const proxies = [0, 1].map(() => new TcpProxy({ hostname: target.hostname, port: Number(target.port || 6379) }));
    for (const proxy of proxies) await proxy.up();
    const config = [
      'watch: false',
      'auth:',
      `  adminToken: ${TOKEN}`,
      'cluster:',
      '  broker:',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${VAR} substitution
      '    url: ${RK_TEST_BROKER}',
      `    prefix: "${redis.prefix}"`,
      'plugins:',
      '  health:',
      '    intervalMs: 100',
      '',
    ].join('\n');
    const cluster = new Cluster([BUN, BUN], db.url(), config, (i) => ({
      RK_TEST_BROKER: `redis://127.0.0.1:${proxies[i].port}`,
    }));
    const sql = postgres(db.url(), { max: 1, onnotice: () => {} });
    const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const patch = (node: (typeof cluster.nodes)[number]) =>
      node.json<{ error?: { code: string; message: string } }>('/admin/plugins/sse', {
        method: 'PATCH',
        headers: admin,
        body: JSON.stringify({ options: { retryMs: 300 } }),
      });
    const status = async (node: (typeof cluster.nodes)[number]) =>
      (await node.json<Health>('/health/status', { headers: admin })).body;
    try {
      await cluster.start();
      const [a, b] = cluster.nodes;
      for (const node of cluster.nodes) {
        await waitFor(async () => (await status(node)).checks['cluster:nodes']?.[0].observedValue === 2, 10_000);
        expect((await status(node)).checks['cluster:node'][0].observedValue).toBe(node.name);
      }

      const refused = await patch(a);
      expect(refused.status).toBe(409);
      expect(refused.body.error?.code).toBe('RELAYKIT_ERR_CLUSTER_SHARED_CONFIG');
      expect(refused.body.error?.message).toContain('shared config file');

      // A partition between node 0 and Redis (node 1 still reaches it): node 0 fails cluster:broker and is
      // not ready (a load balancer sends its clients to node 1), node 1 stays ready. Meanwhile node 0's
      // subscribers still get what node 1 commits, through the last-id check.
      const sub = await wsSubscriber(a, 'partition', 'ws@a');
      const brokerStatus = async (node: (typeof cluster.nodes)[number]) =>
        (await status(node)).checks['cluster:broker']?.[0].status;
      const ready = async (node: (typeof cluster.nodes)[number]) => (await node.json('/health/ready')).status;
      const beats = async () => {
        const rows = await sql<{ node_id: string; expires_at: string }[]>`
          select node_id, expires_at from relaykit_presence_nodes`;
        return new Map(rows.map((r) => [r.node_id, Number(r.expires_at)]));
      };
      /** Resolves once every node of `nodes` heartbeated after the call (writing what its probe found). */
      const heartbeated = async (nodes: typeof cluster.nodes) => {
        const before = await beats();
        await waitFor(
          async () => {
            const now = await beats();
            return nodes.every((n) => (now.get(n.name) ?? 0) > (before.get(n.name) ?? Infinity));
          },
          10_000,
          'a heartbeat of each node',
        );
      };
      proxies[0].down();
      const during = await b.post({ channel: 'partition', type: 'p', payload: 1 });
      expect(during).not.toBeNull();
      await waitFor(() => sub.ids.includes(during as number), 10_000, 'the message across the partition');
      await waitFor(async () => (await brokerStatus(a)) === 'fail', 15_000, 'node 0 to fail cluster:broker');
      expect(await ready(a)).toBe(503);
      const failed = await status(a);
      expect(JSON.stringify(failed.checks['cluster:broker'])).toContain(`while ${b.name} reached it`);
      expect((await a.json('/health/live')).status).toBe(200);
      expect(await ready(b)).toBe(200);
      expect(await brokerStatus(b)).toBe('pass');
      // And it stays so while the partition lasts (node 1's later heartbeats keep showing Redis reachable).
      for (let i = 0; i < 4; i++) await heartbeated([b]);
      expect(await ready(a)).toBe(503);
      expect(await ready(b)).toBe(200);
      await proxies[0].up();
      await waitFor(async () => (await brokerStatus(a)) === 'pass', 15_000, 'node 0 to pass again');
      await waitFor(async () => (await ready(a)) === 200, 10_000, 'node 0 to be ready again');
      const after = await b.post({ channel: 'partition', type: 'p', payload: 2 });
      await waitFor(() => sub.ids.includes(after as number), 10_000, 'the message after the partition');

      // Redis unreachable from every node (an outage of Redis itself): both warn and stay ready, since
      // draining them all would stop a hub that still delivers through the database.
      for (const proxy of proxies) proxy.down();
      for (const node of cluster.nodes) {
        await waitFor(async () => (await brokerStatus(node)) === 'warn', 15_000, `${node.name} to warn`);
      }
      // Once each node has heartbeated again (writing what its probe found), still only warnings.
      await heartbeated(cluster.nodes);
      for (const node of cluster.nodes) {
        const warned = await status(node);
        expect((warned as Health & { status?: string }).status).toBe('warn');
        expect(JSON.stringify(warned.checks['cluster:broker'])).toContain('no other live node reached it since');
        expect(JSON.stringify(warned.checks['cluster:broker'])).toContain('through the database');
        expect(await ready(node)).toBe(200);
      }
      const outage = await b.post({ channel: 'partition', type: 'p', payload: 3 });
      await waitFor(() => sub.ids.includes(outage as number), 10_000, 'the message during the outage');
      for (const proxy of proxies) await proxy.up();
      for (const node of cluster.nodes) {
        await waitFor(async () => (await brokerStatus(node)) === 'pass', 15_000, `${node.name} to pass again`);
        expect(await ready(node)).toBe(200);
      }
      expect(sub.ids).toEqual([during as number, after as number, outage as number]);
      sub.close();

      // A dead node stops counting within seconds; then the change is this node's alone and allowed.
      await b.kill('SIGKILL');
      await waitFor(async () => (await status(a)).checks['cluster:nodes'][0].observedValue === 1, 10_000);
      const applied = await patch(a);
      expect(applied.status).toBe(200);
    } finally {
      await sql.end();
      // A node stops only once its Redis client can say goodbye: give it back its path first.
      for (const proxy of proxies) await proxy.up();
      await cluster.dispose();
      for (const proxy of proxies) proxy.close();
    }
  },
  120_000,
);
