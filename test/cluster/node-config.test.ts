/**
 * The cluster settings and what plugins see of them (`ctx.cluster`): a SQLite hub is a
 * single node without a broker; a broker on SQLite and a malformed node id are refused
 * at start with messages naming the field; hubs on one PostgreSQL database are
 * clustered and elect one leader per name among them.
 */
import { afterEach, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { builtinPlugins } from '../../plugins/index.ts';
import type { ClusterView } from '../../src/cluster/node.ts';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { startTestHub, type TestHub, waitFor } from '../helpers/hub.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const hubs: TestHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.stop();
});

/** Keeps what each instance saw of ctx.cluster, and its leadership of `probe`. */
const seen: Array<{ cluster: ClusterView; leader: () => boolean }> = [];
const probe = definePlugin({
  name: 'cluster-probe',
  options: Type.Object({}, { default: {} }),
  async setup(ctx) {
    const leadership = await ctx.leadership('probe');
    seen.push({ cluster: ctx.cluster, leader: () => leadership.isLeader() });
    return {};
  },
});

const start = async (overrides: Record<string, unknown> = {}) => {
  const hub = await startTestHub({
    plugins: [...builtinPlugins, probe],
    configYaml: 'watch: false\nplugins:\n  cluster-probe: {}\n',
    overrides,
  });
  hubs.push(hub);
  return hub;
};

test('a SQLite hub is one node: ctx.cluster names it and it leads at once; the metrics name its memory broker', async () => {
  seen.length = 0;
  const hub = await start({ cluster: { nodeId: 'solo-1' } });
  expect(seen[0].cluster).toMatchObject({ nodeId: 'solo-1', clustered: false });
  await waitFor(() => seen[0].leader(), 2000, 'leadership');
  const metrics = await (await hub.request('/metrics')).text();
  expect(metrics).toContain('relaykit_cluster_node_info{node="solo-1",broker="memory"} 1');
  expect(metrics).not.toContain('relaykit_cluster_feed_gap_reads');
});

test('a broker on a SQLite store is refused at start with the reason', async () => {
  await expect(start({ cluster: { broker: { url: 'redis://127.0.0.1:6379' } } })).rejects.toThrow(
    'cluster.broker.url needs a PostgreSQL storage.url',
  );
});

test('a malformed cluster.nodeId is refused at start, naming the field', async () => {
  await expect(start({ cluster: { nodeId: 'has space' } })).rejects.toThrow('cluster');
});

test.skipIf(!db)('hubs on one PostgreSQL database are clustered and elect exactly one leader per name', async () => {
  if (!db) return;
  seen.length = 0;
  await start({ storage: { url: db.url() }, cluster: { nodeId: 'pg-a' } });
  await start({ storage: { url: db.url() }, cluster: { nodeId: 'pg-b' } });
  expect(seen.map((s) => s.cluster.clustered)).toEqual([true, true]);
  expect(seen.map((s) => s.cluster.nodeId)).toEqual(['pg-a', 'pg-b']);
  await waitFor(() => seen.filter((s) => s.leader()).length === 1, 10_000, 'one leader');
  // The leader stops: the other takes over (it releases its lock or lease on close).
  const leader = seen.findIndex((s) => s.leader());
  await hubs[leader].stop();
  hubs.splice(leader, 1);
  await waitFor(() => seen[1 - leader].leader(), 10_000, 'the other node to lead');
});
