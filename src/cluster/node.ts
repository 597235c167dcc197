import type { ClusterConfig } from '../config/schema.ts';
import type { Clock } from '../kernel/clock.ts';
import type { HealthCheck } from '../kernel/health.ts';
import type { Logger } from '../kernel/logger.ts';
import { type LivePath, LocalLivePath } from '../messages/live.ts';
import type { MessageStore } from '../messages/store.ts';
import type { Message } from '../messages/types.ts';
import type { Storage } from '../storage/storage.ts';
import type { OrderedFeedStats } from './ordered-feed.ts';
import type { Presence } from './presence.ts';
import { MemoryPresence } from './presence-memory.ts';

/**
 * What a plugin sees of the cluster (`ctx.cluster`): who this node is, whether
 * other nodes may share its log, and presence across nodes. Work that must run on
 * one node at a time (sweeps, retention) elects a leader with `ctx.leadership`.
 */
export interface ClusterView {
  /** This node's id (`cluster.nodeId`). */
  readonly nodeId: string;
  /** True on a PostgreSQL store: other nodes may commit to the same log. */
  readonly clustered: boolean;
  /**
   * Who is present in a channel across the nodes (PostgreSQL tables with node
   * heartbeats on a cluster, memory on a single hub). Namespace channel names with
   * the plugin's name; a dead node's entries stop counting within seconds.
   */
  readonly presence: Presence;
}

/** The kernel's side of the cluster: the live path, health checks and the feed's counters. */
export interface ClusterNode extends ClusterView {
  readonly live: LivePath;
  /** `memory` (single hub), `postgres` (NOTIFY) or `redis`. */
  readonly brokerKind: string;
  healthChecks(): HealthCheck[];
  /** The other live nodes sharing this log (heartbeats within the last few seconds). */
  peers(): Promise<string[]>;
  /** The ordered feed's counters, or null on a single hub. */
  feedStats(): OrderedFeedStats | null;
  close(): Promise<void>;
}

export interface ClusterNodeOptions {
  config: ClusterConfig;
  nodeId: string;
  storage: Storage;
  store: MessageStore;
  clock: Clock;
  /** Resolved lazily: the hub's logger exists after the node is opened. */
  log(): Logger;
}

/**
 * Opens this node's part of the cluster. A SQLite store is a single hub: messages
 * go from the commit to the bus directly. A PostgreSQL store always makes a
 * cluster node (other processes may share the database), with PostgreSQL NOTIFY
 * or, when `cluster.broker.url` is set, Redis as the live feed.
 */
export async function openClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { config, storage, store, clock } = options;
  if (storage.dialect !== 'postgres') {
    if (config.broker.url) {
      throw new Error(
        'cluster.broker.url needs a PostgreSQL storage.url: nodes share their messages through the database (a SQLite file is one node)',
      );
    }
    return singleNode(options.nodeId, new LocalLivePath(() => store.maxId()), clock);
  }
  const { openPostgresClusterNode } = await import('./node-postgres.ts');
  return openPostgresClusterNode({
    ...options,
    readRange: async (afterId: number, uptoId: number): Promise<Message[]> => {
      if (uptoId <= afterId) return [];
      const rows = await store.replay({ after: afterId, all: true, limit: uptoId - afterId }, clock.now());
      return rows.filter((m) => m.id <= uptoId);
    },
  });
}

function singleNode(nodeId: string, live: LivePath, clock: Clock): ClusterNode {
  // The only node never expires: no heartbeat timer needed.
  const presence = new MemoryPresence({ nodeId, clock, heartbeatMs: 0, nodeTtlMs: Number.MAX_SAFE_INTEGER / 4 });
  return {
    nodeId,
    clustered: false,
    live,
    brokerKind: 'memory',
    healthChecks: () => [],
    peers: async () => [],
    feedStats: () => null,
    presence,
    close: async () => {
      await live.close();
      await presence.close();
    },
  };
}
