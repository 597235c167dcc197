import { Gauge, type Registry } from '../kernel/prom.ts';
import type { OrderedFeedStats } from './ordered-feed.ts';

/** What the metrics read from this node's part of the cluster. */
export interface ClusterMetricsSource {
  readonly nodeId: string;
  readonly brokerKind: string;
  readonly clustered: boolean;
  feedStats(): OrderedFeedStats | null;
}

/** The feed's counters, read at each scrape: the cost of keeping the order on this node. */
const FEED_GAUGES: ReadonlyArray<[keyof OrderedFeedStats, string, string, number?]> = [
  ['delivered', 'relaykit_cluster_feed_delivered_id', 'Highest message id this node published to its realtime plugins'],
  ['known', 'relaykit_cluster_feed_known_id', 'Highest message id this node knows is committed'],
  ['held', 'relaykit_cluster_feed_held', 'Messages held waiting for a missing id below them'],
  ['gapReads', 'relaykit_cluster_feed_gap_reads', 'Database reads made to fill gaps the broker left (since start)'],
  [
    'gapMessages',
    'relaykit_cluster_feed_gap_messages',
    'Messages delivered from gap reads rather than the broker (since start)',
  ],
  ['duplicates', 'relaykit_cluster_feed_duplicates', 'Messages or batches dropped as already delivered (since start)'],
  ['holdTimeMs', 'relaykit_cluster_feed_hold_seconds', 'Total time gaps stayed open (since start)', 1000],
  ['maxHoldMs', 'relaykit_cluster_feed_max_hold_seconds', 'Longest time a gap stayed open', 1000],
  ['errors', 'relaykit_cluster_feed_errors', 'Gap reads or last-id checks that failed and were retried (since start)'],
];

/**
 * Registers `relaykit_cluster_node_info{node,broker}` and, on a cluster node, the
 * ordered feed's counters labelled with the node id (each node reports its own).
 */
export function registerClusterMetrics(registry: Registry, source: ClusterMetricsSource): void {
  new Gauge({
    name: 'relaykit_cluster_node_info',
    help: 'This node: its id and the broker carrying its live feed (memory on a single hub); always 1',
    labelNames: ['node', 'broker'],
    registers: [registry],
  }).set({ node: source.nodeId, broker: source.brokerKind }, 1);
  if (!source.clustered) return;
  for (const [key, name, help, divisor = 1] of FEED_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      collect() {
        const stats = source.feedStats();
        if (stats) this.set({ node: source.nodeId }, stats[key] / divisor);
      },
    });
  }
}
