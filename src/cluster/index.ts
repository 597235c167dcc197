/**
 * Building blocks of the cluster mode (several nodes acting as one hub). Not yet
 * wired into the hub: see docs/cluster.md for the design and what remains.
 * Importing this barrel loads ioredis; import the single files to avoid that.
 */
export {
  type Broker,
  type BrokerBatch,
  BrokerClosedError,
  type BrokerErrorHandler,
  type BrokerHandler,
} from './broker.ts';
export { MemoryBroker, MemoryBrokerNetwork } from './broker-memory.ts';
export {
  notifyPayload,
  notifyStatement,
  PostgresBroker,
  type PostgresBrokerOptions,
  type ReadRange,
} from './broker-postgres.ts';
export { RedisBroker, type RedisBrokerOptions } from './broker-redis.ts';
export { type Leadership, LeadershipBase, PollingLeadership, type PollingOptions } from './leadership.ts';
export { MemoryElection, MemoryLeadership } from './leadership-memory.ts';
export {
  AdvisoryLeadership,
  type AdvisoryLeadershipOptions,
  LEADERSHIP_LOCK_CLASS,
  LeaseLeadership,
  type LeaseLeadershipOptions,
} from './leadership-postgres.ts';
export { defaultNodeId, makeNodeId, NODE_ID_PATTERN, resolveNodeId } from './node-id.ts';
export {
  type FeedBatch,
  type Identified,
  OrderedFeed,
  type OrderedFeedOptions,
  type OrderedFeedStats,
} from './ordered-feed.ts';
export { type Presence, PresenceBase, type PresenceEntry, type PresenceOptions } from './presence.ts';
export { MemoryPresence, MemoryPresenceStore } from './presence-memory.ts';
export { PostgresPresence, type PostgresPresenceOptions } from './presence-postgres.ts';
export { RedisPresence, type RedisPresenceOptions } from './presence-redis.ts';
export { CLUSTER_LOCK_CLASS, ensureClusterTables } from './tables-postgres.ts';
