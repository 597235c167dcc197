import { bigint, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Cluster coordination tables in the PostgreSQL migrations (SQLite runs one node
 * and needs none). `relaykit_leases` backs LeaseLeadership: one row per led name,
 * taken or renewed by one statement judged by the database's clock.
 */
export const relaykitLeases = pgTable('relaykit_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  until: timestamp('until', { withTimezone: true, mode: 'date' }).notNull(),
});

/*
 * Presence across nodes (PostgresPresence). Short-lived coordination state, no
 * message data: the migration creates these tables UNLOGGED (drizzle-kit cannot
 * say so; the generated SQL was edited), so a server crash empties them and live
 * nodes write their entries back at their next heartbeat.
 */

/**
 * Each node's heartbeat: it counts until `expiresAt` (epoch ms, the node's clock).
 * `brokerOkAt` is when the node last completed a round trip to the Redis broker
 * (epoch ms, null without Redis or before the first): a node that cannot reach Redis
 * tells a partition of its own (a peer got through since) from a shared outage.
 */
export const relaykitPresenceNodes = pgTable('relaykit_presence_nodes', {
  nodeId: text('node_id').primaryKey(),
  expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  brokerOkAt: bigint('broker_ok_at', { mode: 'number' }),
});

/** One client present in one channel through one node. */
export const relaykitPresence = pgTable(
  'relaykit_presence',
  {
    channel: text('channel').notNull(),
    nodeId: text('node_id').notNull(),
    clientId: text('client_id').notNull(),
    /** What the client shared (JSON text). */
    data: text('data').notNull(),
    joinedAt: bigint('joined_at', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.nodeId, t.clientId] }), index('relaykit_presence_node_idx').on(t.nodeId)],
);

/**
 * How many entries each channel has (live nodes or not yet swept): moved in the
 * same statement as the entries, so the write that occupies or vacates a channel
 * is known once. A channel without entries has no row.
 */
export const relaykitPresenceChannels = pgTable('relaykit_presence_channels', {
  channel: text('channel').primaryKey(),
  entries: integer('entries').notNull(),
});
