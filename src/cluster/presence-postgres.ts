import type { Sql } from 'postgres';
import { PresenceBase, type PresenceEntry, type PresenceKey, type PresenceOptions } from './presence.ts';

export interface PostgresPresenceOptions extends PresenceOptions {
  /** The store's pool (not ended by close). Every call is one autocommit statement, so PgBouncer is fine. */
  client: Sql;
  /**
   * When this node last completed a round trip to its Redis broker (epoch ms), written with
   * each heartbeat so peers can tell a partition of theirs from a shared outage. Unset: null.
   */
  brokerOkAt?: () => number | null;
}

/**
 * Presence in PostgreSQL, in three UNLOGGED tables (cheap writes, no WAL; emptied
 * together by a server crash, after which live nodes write their entries back at
 * their next heartbeat): `relaykit_presence_nodes` (node id -> heartbeat expiry),
 * `relaykit_presence` keyed by (channel, node, client) and
 * `relaykit_presence_channels` (channel -> number of entries). Readers join on
 * live nodes, so a dead node stops counting when its expiry passes.
 *
 * Every statement that inserts or deletes entries moves the channel's counter by
 * as much in the same statement; the counter row's lock orders concurrent writers,
 * so the write that takes it from 0 to 1 (occupied) or to 0 (vacated) is known,
 * once, in one round trip. The tables come from the PostgreSQL migrations.
 */
export class PostgresPresence extends PresenceBase {
  private readonly sql: Sql;
  private readonly brokerOkAt: () => number | null;

  constructor(options: PostgresPresenceOptions) {
    super(options);
    this.sql = options.client;
    this.brokerOkAt = options.brokerOkAt ?? (() => null);
  }

  protected async put(channel: string, entry: PresenceEntry): Promise<boolean> {
    const rows = await this.sql<{ entries: number }[]>`
      with ins as (
        insert into relaykit_presence (channel, node_id, client_id, data, joined_at)
        values (${channel}, ${this.nodeId}, ${entry.clientId}, ${JSON.stringify(entry.data)}, ${entry.joinedAt})
        on conflict (channel, node_id, client_id) do update set data = excluded.data, joined_at = excluded.joined_at
        returning (xmax = 0) as inserted),
      counted as (
        insert into relaykit_presence_channels (channel, entries)
        select ${channel}, 1 from ins where inserted
        on conflict (channel) do update set entries = relaykit_presence_channels.entries + 1
        returning entries)
      select entries from counted`;
    return rows[0]?.entries === 1;
  }

  /**
   * Every entry in one statement: the counters move by each channel's number of new
   * entries, taken in channel order (two nodes' batches lock shared counters in the same
   * order); a channel is occupied when its counter ends at exactly what this statement
   * added. Should the statement fail anyway (a deadlock with a sweep), the entries are
   * written one by one.
   */
  protected override async putMany(entries: readonly { channel: string; entry: PresenceEntry }[]): Promise<string[]> {
    if (entries.length === 1) return super.putMany(entries);
    const channels = entries.map((e) => e.channel);
    try {
      const rows = await this.sql<{ channel: string }[]>`
        with input as (
          select * from unnest(
            ${channels}::text[], ${entries.map((e) => e.entry.clientId)}::text[],
            ${entries.map((e) => JSON.stringify(e.entry.data))}::text[], ${entries.map((e) => e.entry.joinedAt)}::bigint[]
          ) as t(channel, client_id, data, joined_at)),
        ins as (
          insert into relaykit_presence (channel, node_id, client_id, data, joined_at)
          select channel, ${this.nodeId}, client_id, data, joined_at from input
          on conflict (channel, node_id, client_id) do update set data = excluded.data, joined_at = excluded.joined_at
          returning channel, (xmax = 0) as inserted),
        per as (select channel, count(*)::int as n from ins where inserted group by channel),
        counted as (
          insert into relaykit_presence_channels (channel, entries)
          select channel, n from per order by channel
          on conflict (channel) do update set entries = relaykit_presence_channels.entries + excluded.entries
          returning channel, entries)
        select c.channel from counted c join per p on p.channel = c.channel where c.entries = p.n`;
      const occupied = new Set(rows.map((r) => r.channel));
      return [...new Set(channels)].filter((c) => occupied.has(c));
    } catch {
      return super.putMany(entries);
    }
  }

  protected async remove(channel: string, clientId: string): Promise<boolean> {
    const rows = await this.sql<{ entries: number }[]>`
      with gone as (
        delete from relaykit_presence
        where channel = ${channel} and node_id = ${this.nodeId} and client_id = ${clientId} returning 1)
      update relaykit_presence_channels set entries = entries - 1
      where channel = ${channel} and exists (select 1 from gone)
      returning entries`;
    if (rows[0]?.entries !== 0) return false;
    await this.forgetEmpty([channel]);
    return true;
  }

  protected async read(channel: string, now: number): Promise<PresenceEntry[]> {
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

  protected async readPrefix(prefix: string, now: number): Promise<PresenceKey[]> {
    const rows = await this.sql<{ channel: string; client_id: string; node_id: string }[]>`
      select p.channel, p.client_id, p.node_id
      from relaykit_presence p join relaykit_presence_nodes n on n.node_id = p.node_id
      where starts_with(p.channel, ${prefix}) and n.expires_at > ${now}`;
    return rows.map((r) => ({ channel: r.channel, nodeId: r.node_id, clientId: r.client_id }));
  }

  protected async beat(expiresAt: number): Promise<boolean> {
    // xmax is 0 on a freshly inserted row and set on an updated one.
    const [row] = await this.sql<{ inserted: boolean }[]>`
      insert into relaykit_presence_nodes (node_id, expires_at, broker_ok_at)
      values (${this.nodeId}, ${expiresAt}, ${this.brokerOkAt()})
      on conflict (node_id) do update set expires_at = excluded.expires_at, broker_ok_at = excluded.broker_ok_at
      returning (xmax = 0) as inserted`;
    return !row.inserted;
  }

  protected async purge(now: number): Promise<{ deleted: number; vacated: string[] }> {
    // Two nodes sweeping together: the first deletes the dead node's row, the second finds none.
    const [row] = await this.sql<{ deleted: number; vacated: string[] }[]>`
      with dead as (delete from relaykit_presence_nodes where expires_at <= ${now} returning node_id),
      gone as (delete from relaykit_presence where node_id in (select node_id from dead) returning channel),
      ${this.countDown()}`;
    await this.forgetEmpty(row.vacated);
    return { deleted: row.deleted, vacated: row.vacated };
  }

  protected async drop(): Promise<string[]> {
    const [row] = await this.sql<{ deleted: number; vacated: string[] }[]>`
      with gone as (delete from relaykit_presence where node_id = ${this.nodeId} returning channel),
      ${this.countDown()}`;
    await this.sql`delete from relaykit_presence_nodes where node_id = ${this.nodeId}`;
    await this.forgetEmpty(row.vacated);
    return row.vacated;
  }

  /** The tail of a statement whose `gone` deleted entries: moves their channels' counters down. */
  private countDown() {
    return this.sql`
      per as (select channel, count(*)::int as n from gone group by channel),
      counted as (
        update relaykit_presence_channels c set entries = c.entries - per.n
        from per where c.channel = per.channel returning c.channel, c.entries)
      select (select count(*)::int from gone) as deleted,
        coalesce((select array_agg(channel order by channel) from counted where entries = 0), '{}') as vacated`;
  }

  /** Deletes counters left at 0 (a join that took one back to 1 meanwhile keeps it). */
  private async forgetEmpty(channels: string[]): Promise<void> {
    if (!channels.length) return;
    await this.sql`delete from relaykit_presence_channels where channel = any(${channels}::text[]) and entries = 0`;
  }
}
