import type { Sql } from 'postgres';

/** The first key of the cluster's advisory locks ("RKLD"). */
export const CLUSTER_LOCK_CLASS = 0x524b_4c44;

/**
 * The lease table, created when missing under a transaction-scoped advisory lock
 * so candidates that start together do not race: LeaseLeadership also runs on a
 * bare connection (tests, tools). A hub's database has it from the PostgreSQL
 * migrations (`0006_cluster_leases`), like the presence tables (`0008_presence`),
 * which are only ever used on a migrated database.
 */
export async function ensureClusterTables(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${CLUSTER_LOCK_CLASS}::int4, 0)`;
    await tx`create table if not exists relaykit_leases (
      name text primary key, holder text not null, until timestamptz not null)`;
  });
}
