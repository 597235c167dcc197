/**
 * What an operator sees of a cluster: health names the node, counts the live nodes
 * and warns (keeping the node ready) when the broker cannot be reached; a plugin change through the
 * admin API is refused while other nodes share the hub (it would only change this
 * node), and accepted again once the other node is dead and stopped counting. A node
 * cut off from Redis keeps delivering what other nodes commit (through its last-id
 * check against the database).
 */
import { expect, test } from 'bun:test';
import { URL } from 'node:url';
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
  'health names the node and counts live nodes, warns without the broker but stays ready, admin plugin changes are refused while another node is alive',
  async () => {
    if (!db || !redis) return;
    const target = new URL(redis.url);
    const proxy = new TcpProxy({ hostname: target.hostname, port: Number(target.port || 6379) });
    await proxy.up();
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
    // Node 0 reaches Redis through the proxy (cut below); node 1 directly.
    const cluster = new Cluster([BUN, BUN], db.url(), config, (i) => ({
      RK_TEST_BROKER: i === 0 ? `redis://127.0.0.1:${proxy.port}` : redis.url,
    }));
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

      // The broker unreachable: node 0 warns on cluster:broker but stays ready (a broker outage hits every
      // node at once; draining them all would stop a hub that still delivers), and passes again once it is
      // back. Meanwhile node 0's subscribers still get what node 1 commits, through the last-id check.
      const sub = await wsSubscriber(a, 'partition', 'ws@a');
      proxy.down();
      const during = await b.post({ channel: 'partition', type: 'p', payload: 1 });
      expect(during).not.toBeNull();
      await waitFor(() => sub.ids.includes(during as number), 10_000, 'the message across the partition');
      const brokerStatus = async () => (await status(a)).checks['cluster:broker']?.[0].status;
      await waitFor(async () => (await brokerStatus()) === 'warn', 10_000, 'node 0 to warn about the broker');
      const warned = await status(a);
      expect((warned as Health & { status?: string }).status).toBe('warn');
      expect(JSON.stringify(warned.checks['cluster:broker'])).toContain('through the database');
      expect((await a.json('/health/ready')).status).toBe(200);
      expect((await a.json('/health/live')).status).toBe(200);
      expect((await b.json('/health/ready')).status).toBe(200);
      await proxy.up();
      await waitFor(async () => (await brokerStatus()) === 'pass', 15_000, 'node 0 to pass again');
      expect((await a.json('/health/ready')).status).toBe(200);
      const after = await b.post({ channel: 'partition', type: 'p', payload: 2 });
      await waitFor(() => sub.ids.includes(after as number), 10_000, 'the message after the partition');
      expect(sub.ids).toEqual([during as number, after as number]);
      sub.close();

      // A dead node stops counting within seconds; then the change is this node's alone and allowed.
      await b.kill('SIGKILL');
      await waitFor(async () => (await status(a)).checks['cluster:nodes'][0].observedValue === 1, 10_000);
      const applied = await patch(a);
      expect(applied.status).toBe(200);
    } finally {
      await cluster.dispose();
      proxy.down();
    }
  },
  60_000,
);
