import type { Sql } from 'postgres';

/** The first key of the cluster's advisory locks ("RKLD"). */
export const CLUSTER_LOCK_CLASS = 0x524b_4c44;

/**
 * The cluster's own tables, created when missing under a transaction-scoped
 * advisory lock so nodes that start together do not race. They hold only
 * short-lived coordination state (no message data), so presence is UNLOGGED: a
 * server crash empties it and live nodes refill it at their next heartbeat.
 * When the cluster mode is wired into the hub they join the PostgreSQL
 * migrations (drizzle/pg) and this function goes away.
 */
export async function ensureClusterTables(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${CLUSTER_LOCK_CLASS}::int4, 0)`;
    await tx`create table if not exists relaykit_leases (
      name text primary key, holder text not null, until timestamptz not null)`;
    await tx`create unlogged table if not exists relaykit_presence_nodes (
      node_id text primary key, expires_at bigint not null)`;
    await tx`create unlogged table if not exists relaykit_presence (
      channel text not null, node_id text not null, client_id text not null,
      data text not null, joined_at bigint not null,
      primary key (channel, node_id, client_id))`;
    await tx`create index if not exists relaykit_presence_node_idx on relaykit_presence (node_id)`;
  });
}
