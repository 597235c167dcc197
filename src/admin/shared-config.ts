import type { ClusterNode } from '../cluster/node.ts';
import { HubError } from '../kernel/errors.ts';

/**
 * Refuses a plugin change made through the admin API while other live nodes share the
 * log (RELAYKIT_ERR_CLUSTER_SHARED_CONFIG, naming them): such a change lives in this
 * node's memory only and would split the hub's behaviour. The error says the way to do
 * it instead: the shared config file, then a reload on every node. Resolves on a single
 * hub, and on a cluster whose other nodes are all gone.
 */
export async function refuseWhenShared(
  cluster: Pick<ClusterNode, 'clustered' | 'nodeId' | 'peers'>,
  plugin: string,
): Promise<void> {
  if (!cluster.clustered) return;
  const peers = await cluster.peers();
  if (!peers.length) return;
  throw new HubError(
    'RELAYKIT_ERR_CLUSTER_SHARED_CONFIG',
    `This node shares the hub with ${peers.length} other live node(s) (${peers.slice(0, 5).join(', ')}): a change made through one node would not reach them. Change plugins.${plugin} in the shared config file instead; nodes with watch: true apply it by themselves, others on POST /admin/reload or a restart`,
    { nodes: [cluster.nodeId, ...peers] },
  );
}
