import type { SQL } from 'drizzle-orm';
import type { HealthCheck } from '../kernel/health.ts';
import { StartupError } from '../kernel/startup.ts';
import type { Message } from '../messages/types.ts';
import { redactUrl } from '../storage/postgres/url.ts';
import type { PostgresStorage } from '../storage/storage-postgres.ts';
import type { Broker } from './broker.ts';
import { notifyStatement, PostgresBroker } from './broker-postgres.ts';
import { ClusterLivePath, type ClusterLivePathOptions } from './live-feed.ts';
import type { ClusterNode, ClusterNodeOptions } from './node.ts';
import { PostgresPresence } from './presence-postgres.ts';

/** How often a node marks itself alive, and how long it counts without doing so. */
const NODE_HEARTBEAT_MS = 2000;
const NODE_TTL_MS = 6000;

/** How long the broker's health check waits for Redis. */
const BROKER_PING_TIMEOUT_MS = 2000;
/**
 * How old a peer's last round trip to Redis may be, against this node's latest failed one, and
 * still show that Redis is reachable: longer than a probe interval plus a heartbeat interval.
 */
const PEER_BROKER_STALE_MS = NODE_TTL_MS;
/** How long a starting node waits for Redis before it gives up. */
const BROKER_START_TIMEOUT_MS = 15_000;

/**
 * A node of a cluster on PostgreSQL: the ordered feed fed by NOTIFY (sent inside
 * each commit) or by Redis pub/sub (`cluster.broker.url`, published after each
 * commit), with gap reads and the last-id check from the shared database.
 */
export async function openPostgresClusterNode(
  options: ClusterNodeOptions & { readRange(afterId: number, uptoId: number): Promise<Message[]> },
): Promise<ClusterNode> {
  const { config, nodeId, clock, store } = options;
  const storage = options.storage as PostgresStorage;
  const { client, target } = storage.store;
  const scope = target.schema ? `${target.database}.${target.schema}` : target.database;
  // While starting, connection errors are kept for the one line a failed start prints.
  let startError: unknown = null;
  let starting = true;
  const onBrokerError = (err: unknown) => {
    if (starting) startError = err;
    else options.log().warn({ err }, 'cluster broker error');
  };
  let live: ClusterLivePath | null = null;
  const delivered = () => live?.published() ?? 0;

  let broker: Broker;
  let ping: () => Promise<void>;
  let announce: ClusterLivePathOptions['announce'];
  let announceChannel: string | undefined;
  if (config.broker.url) {
    const { RedisBroker } = await import('./broker-redis.ts');
    const redis = new RedisBroker({
      url: config.broker.url,
      prefix: config.broker.prefix ?? `relaykit:${scope}:`,
      onError: onBrokerError,
      // Named, so an operator (or a test) can find this node's connections in CLIENT LIST.
      redis: { maxRetriesPerRequest: 2, connectTimeout: 5000, connectionName: `relaykit-${nodeId}` },
    });
    broker = redis;
    ping = () => redis.ping();
    try {
      await withTimeout(redis.ready(), BROKER_START_TIMEOUT_MS, `no answer within ${BROKER_START_TIMEOUT_MS / 1000} s`);
    } catch (err) {
      await redis.close();
      const why = ((startError ?? err) as Error).message;
      throw new StartupError(
        `cannot reach the cluster broker at ${redactUrl(config.broker.url)} (cluster.broker.url): ${why}. ` +
          'Check that Redis is running and reachable from this node (host, port, password, TLS), ' +
          'or leave cluster.broker.url unset to use PostgreSQL NOTIFY',
        { cause: err },
      );
    }
  } else {
    const channel = notifyChannel(target.schema);
    broker = new PostgresBroker({ client, channel, readRange: options.readRange, delivered, onError: onBrokerError });
    ping = () => storage.ping();
    // Inside the commit: PostgreSQL sends it only if the batch commits, so no commit goes unannounced.
    announceChannel = channel;
    announce = async (tx, batch) => {
      await (tx as unknown as { execute(query: SQL): Promise<unknown> }).execute(notifyStatement(batch, channel));
    };
  }

  starting = false;
  live = new ClusterLivePath({
    broker,
    announce,
    announceChannel,
    readRange: options.readRange,
    lastId: () => store.maxId(),
    holdMs: config.holdMs,
    checkEveryMs: config.checkEveryMs,
    clock,
    onFeedError: (err) => options.log().warn({ err }, 'cluster feed: a gap read or last-id check failed (retried)'),
    onPublishError: (err) =>
      options.log().warn({ err }, 'cluster broker publish failed: other nodes read the batch from the database'),
  });
  const feed = live;

  // This node's view of its Redis broker, kept by a probe as often as the heartbeat (and by each
  // health check): when it last completed a round trip, when its current run of failed ones began,
  // and when the latest failed one began.
  let brokerOkAt: number | null = null;
  let brokerFailingSince: number | null = null;
  let brokerFailedAt = 0;
  const probeBroker = async (): Promise<Error | null> => {
    const started = clock.now();
    try {
      await withTimeout(ping(), BROKER_PING_TIMEOUT_MS, `the ${broker.kind} broker did not answer`);
      brokerOkAt = clock.now();
      brokerFailingSince = null;
      return null;
    } catch (err) {
      brokerFailingSince ??= started;
      brokerFailedAt = Math.max(brokerFailedAt, started);
      return err as Error;
    }
  };
  const redisBroker = broker.kind === 'redis';
  if (redisBroker) brokerOkAt = clock.now(); // ready() above was a round trip

  // Every node heartbeats in relaykit_presence_nodes, so nodes know their peers (and a dead one drops out),
  // with its last round trip to Redis; the same store holds plugins' presence (ctx.cluster.presence).
  const registry = new PostgresPresence({
    nodeId,
    client,
    clock,
    heartbeatMs: NODE_HEARTBEAT_MS,
    nodeTtlMs: NODE_TTL_MS,
    brokerOkAt: () => brokerOkAt,
    onError: (err) => options.log().warn({ err }, 'cluster node heartbeat failed'),
  });
  try {
    await registry.heartbeat();
  } catch (err) {
    // Nothing of this node may linger (the broker's connections) when it cannot start.
    await feed.close();
    await registry.close().catch(() => {});
    throw err;
  }
  let probing = false;
  const stopProbe = redisBroker
    ? clock.setInterval(() => {
        if (probing) return;
        probing = true;
        void probeBroker().finally(() => {
          probing = false;
        });
      }, NODE_HEARTBEAT_MS)
    : () => {};
  /** Live peers; with `brokerOkAfter`, only those that completed a round trip to Redis after it. */
  const peers = async (brokerOkAfter?: number): Promise<string[]> => {
    const rows = await client<{ node_id: string }[]>`
      select node_id from relaykit_presence_nodes where expires_at > ${clock.now()} and node_id <> ${nodeId}
      ${brokerOkAfter === undefined ? client`` : client`and broker_ok_at > ${brokerOkAfter}`}
      order by node_id`;
    return rows.map((r) => r.node_id);
  };

  // Redis is shared by every node, so an outage of Redis hits all of them at once: failing readiness
  // then would have a load balancer drain the whole cluster while delivery still works (each node's
  // last-id check reads what others commit from the database), so it only warns. But when this node
  // cannot reach Redis while another live node got through since this node's first failed round trip,
  // the fault is this node's (a partition between it and Redis): it fails readiness, so clients go to
  // nodes that deliver at once. A node cut off from the database fails readiness on `database:*`.
  const brokerCheck: HealthCheck = {
    name: 'cluster:broker',
    componentType: 'component',
    affectsReadiness: redisBroker,
    check: async () => {
      const started = performance.now();
      const err = await probeBroker();
      if (!err) {
        return { status: 'pass', observedValue: Number((performance.now() - started).toFixed(3)), observedUnit: 'ms' };
      }
      const unreachable = `${broker.kind} broker unreachable: ${err.message}`;
      const fallback =
        'messages of other nodes still arrive through the database, ' +
        `within cluster.checkEveryMs (${config.checkEveryMs} ms) instead of at once`;
      // A peer counts when its round trip came after this node's first failed one, and recently enough for
      // its probe and heartbeat to have written it (a peer whose round trip just beat a shared outage stops
      // counting after that long).
      const since =
        brokerFailingSince === null ? null : Math.max(brokerFailingSince, brokerFailedAt - PEER_BROKER_STALE_MS);
      const reaching = redisBroker && since !== null ? (await peers(since).catch(() => [])).slice(0, 3) : [];
      if (reaching.length) {
        return {
          status: 'fail',
          output:
            `${unreachable}, while ${reaching.join(', ')} reached it since: a partition between this node and ` +
            `Redis, so this node is not ready (its clients belong on nodes that deliver at once); ${fallback}`,
        };
      }
      return {
        status: 'warn',
        output: `${unreachable}${redisBroker ? ', and no other live node reached it since' : ''}; ${fallback}`,
      };
    },
  };
  const nodeCheck: HealthCheck = {
    name: 'cluster:node',
    componentType: 'system',
    affectsReadiness: false,
    check: () => ({ status: 'pass', observedValue: nodeId, output: `broker ${broker.kind}` }),
  };
  const nodesCheck: HealthCheck = {
    name: 'cluster:nodes',
    componentType: 'system',
    affectsReadiness: false,
    check: async () => ({ status: 'pass', observedValue: (await peers()).length + 1, observedUnit: 'nodes' }),
  };
  const lagCheck: HealthCheck = {
    name: 'cluster:feedLag',
    componentType: 'component',
    affectsReadiness: false,
    check: () => {
      const stats = feed.stats();
      const lag = stats ? Math.max(0, stats.known - stats.delivered) : 0;
      return { status: 'pass', observedValue: lag, observedUnit: 'messages' };
    },
  };

  return {
    nodeId,
    clustered: true,
    live: feed,
    brokerKind: broker.kind,
    healthChecks: () => [nodeCheck, nodesCheck, brokerCheck, lagCheck],
    peers,
    presence: registry,
    feedStats: () => feed.stats(),
    close: async () => {
      stopProbe();
      await feed.close();
      await registry.close().catch((err) => options.log().warn({ err }, 'cluster node deregistration failed'));
    },
  };
}

/** The NOTIFY channel of one log: one per schema, since NOTIFY is database-wide. */
export function notifyChannel(schema: string | null): string {
  if (!schema) return 'relaykit_feed';
  // A channel is an identifier (at most 63 bytes): long schema names are hashed.
  return schema.length <= 48 ? `relaykit_feed_${schema}` : `relaykit_feed_${fnv1a(schema)}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
