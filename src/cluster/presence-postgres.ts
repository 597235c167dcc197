import type { Sql } from 'postgres';
import { PresenceBase, type PresenceEntry, type PresenceOptions } from './presence.ts';
import { ensureClusterTables } from './tables-postgres.ts';

export interface PostgresPresenceOptions extends PresenceOptions {
  /** The store's pool (not ended by close). Every call is one autocommit statement, so PgBouncer is fine. */
  client: Sql;
}

/**
 * Presence in PostgreSQL, in two UNLOGGED tables (cheap writes, no WAL; emptied
 * by a server crash, after which live nodes write their entries back at their
 * next heartbeat): `relaykit_presence_nodes` (node id -> heartbeat expiry) and
 * `relaykit_presence` keyed by (channel, node, client). Readers join on live
 * nodes, so a dead node stops counting when its expiry passes.
 */
export class PostgresPresence extends PresenceBase {
  private readonly sql: Sql;
  private prepared: Promise<void> | null = null;

  constructor(options: PostgresPresenceOptions) {
    super(options);
    this.sql = options.client;
  }

  protected async put(channel: string, entry: PresenceEntry): Promise<void> {
    await this.ready();
    await this.sql`
      insert into relaykit_presence (channel, node_id, client_id, data, joined_at)
      values (${channel}, ${this.nodeId}, ${entry.clientId}, ${JSON.stringify(entry.data)}, ${entry.joinedAt})
      on conflict (channel, node_id, client_id) do update set data = excluded.data, joined_at = excluded.joined_at`;
  }

  protected async remove(channel: string, clientId: string): Promise<void> {
    await this.ready();
    await this.sql`delete from relaykit_presence
      where channel = ${channel} and node_id = ${this.nodeId} and client_id = ${clientId}`;
  }

  protected async read(channel: string, now: number): Promise<PresenceEntry[]> {
    await this.ready();
    const rows = await this.sql<{ client_id: string; node_id: string; data: string; joined_at: string }[]>`
      select p.client_id, p.node_id, p.data, p.joined_at
      from relaykit_presence p join relaykit_presence_nodes n on n.node_id = p.node_id
      where p.channel = ${channel} and n.expires_at > ${now}`;
    return rows.map((r) => ({
      clientId: r.client_id,
      nodeId: r.node_id,
      data: JSON.parse(r.data),
      joinedAt: Number(r.joined_at),
    }));
  }

  protected async beat(expiresAt: number): Promise<boolean> {
    await this.ready();
    // xmax is 0 on a freshly inserted row and set on an updated one.
    const [row] = await this.sql<{ inserted: boolean }[]>`
      insert into relaykit_presence_nodes (node_id, expires_at) values (${this.nodeId}, ${expiresAt})
      on conflict (node_id) do update set expires_at = excluded.expires_at
      returning (xmax = 0) as inserted`;
    return !row.inserted;
  }

  protected async purge(now: number): Promise<number> {
    await this.ready();
    const rows = await this.sql`
      with dead as (delete from relaykit_presence_nodes where expires_at <= ${now} returning node_id)
      delete from relaykit_presence where node_id in (select node_id from dead) returning 1`;
    return rows.length;
  }

  protected async drop(): Promise<void> {
    await this.ready();
    await this.sql`delete from relaykit_presence where node_id = ${this.nodeId}`;
    await this.sql`delete from relaykit_presence_nodes where node_id = ${this.nodeId}`;
  }

  private ready(): Promise<void> {
    this.prepared ??= ensureClusterTables(this.sql).catch((err) => {
      this.prepared = null;
      throw err;
    });
    return this.prepared;
  }
}
