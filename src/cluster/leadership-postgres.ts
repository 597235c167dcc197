import type { Sql } from 'postgres';
import { PollingLeadership, type PollingOptions } from './leadership.ts';
import { CLUSTER_LOCK_CLASS, ensureClusterTables } from './tables-postgres.ts';

/**
 * The first key of every leadership lock; the second is `hashtext(<schema>/<name>)` (0 is the
 * cluster tables' DDL lock). Advisory locks are per database, so the schema is part of the key:
 * two hubs on two schemas of one database are two clusters, each with its own leader.
 */
export const LEADERSHIP_LOCK_CLASS = CLUSTER_LOCK_CLASS;

export interface AdvisoryLeadershipOptions extends Partial<PollingOptions> {
  /** What is led (`ttl-sweeper`). */
  name: string;
  /**
   * A dedicated pool of ONE connection (`postgres(url, { max: 1 })`), owned by
   * this leadership and ended by close(). The lock lives as long as that
   * session; do not use it behind PgBouncer in transaction mode (use LeaseLeadership).
   */
  connection: Sql;
}

/**
 * Leadership by a session advisory lock (`pg_try_advisory_lock`): the server
 * frees the lock the moment the holder's session ends, so a killed node loses it
 * at once and a candidate takes it at its next round (`everyMs`, default 1000).
 * Each round the holder confirms that its session is the one that took the lock
 * (same backend pid): postgres-js reconnects silently, and a new session does
 * not hold the old session's lock.
 */
export class AdvisoryLeadership extends PollingLeadership {
  private readonly sql: Sql;
  /** The backend that holds the lock while leading. */
  private holderPid: number | null = null;

  constructor(options: AdvisoryLeadershipOptions) {
    super(options.name, { everyMs: options.everyMs ?? 1000, clock: options.clock, onError: options.onError });
    this.sql = options.connection;
  }

  protected async attempt(): Promise<boolean> {
    if (this.holderPid !== null) {
      const [{ pid }] = await this.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      if (pid === this.holderPid) return true;
      this.holderPid = null;
    }
    const [row] = await this.sql<{ locked: boolean; pid: number }[]>`
      select pg_try_advisory_lock(${LEADERSHIP_LOCK_CLASS}::int4, hashtext(coalesce(current_schema(), '') || '/' || ${this.name})) as locked,
             pg_backend_pid() as pid`;
    if (row.locked) this.holderPid = row.pid;
    return row.locked;
  }

  /** A failed round means the session is broken, and with it the lock. */
  protected failed(): boolean {
    this.holderPid = null;
    return false;
  }

  protected async release(wasLeader: boolean): Promise<void> {
    try {
      if (wasLeader)
        await this
          .sql`select pg_advisory_unlock(${LEADERSHIP_LOCK_CLASS}::int4, hashtext(coalesce(current_schema(), '') || '/' || ${this.name}))`;
    } finally {
      await this.sql.end({ timeout: 1 });
    }
  }
}

export interface LeaseLeadershipOptions extends Partial<PollingOptions> {
  name: string;
  /** This node's id (`cluster.nodeId`), written as the holder. */
  nodeId: string;
  /** Any pool, also through PgBouncer in transaction mode: every round is one autocommit statement. Not ended by close(). */
  client: Sql;
  /** How long a lease lasts unless renewed, by the database's clock. Default 10000 ms. Rounds run every ttl/3 by default. */
  ttlMs?: number;
}

/**
 * Leadership by a lease row in `relaykit_leases` (name, holder, until): a round
 * takes or renews it with one statement, which only succeeds when the lease
 * has expired or is already ours. Expiry is judged by the database's clock, so
 * node clocks need not agree. A killed leader stops renewing and its lease runs
 * out after at most `ttlMs`; a leader that cannot renew steps down by its own
 * clock before its lease could have expired, so two nodes never both hold it
 * beyond a round.
 */
export class LeaseLeadership extends PollingLeadership {
  private readonly options: LeaseLeadershipOptions;
  private readonly ttlMs: number;
  /** Local time until which this node may still lead without a successful renewal. */
  private validUntil = 0;
  private prepared: Promise<void> | null = null;

  constructor(options: LeaseLeadershipOptions) {
    const ttlMs = options.ttlMs ?? 10_000;
    super(options.name, {
      everyMs: options.everyMs ?? Math.ceil(ttlMs / 3),
      clock: options.clock,
      onError: options.onError,
    });
    this.options = options;
    this.ttlMs = ttlMs;
  }

  protected async attempt(): Promise<boolean> {
    const sql = this.options.client;
    this.prepared ??= ensureClusterTables(sql).catch((err) => {
      this.prepared = null;
      throw err;
    });
    await this.prepared;
    const sentAt = this.clock.now();
    const rows = await sql`
      insert into relaykit_leases as l (name, holder, until)
      values (${this.name}, ${this.options.nodeId}, clock_timestamp() + ${this.ttlMs} * interval '1 millisecond')
      on conflict (name) do update set holder = excluded.holder, until = excluded.until
        where l.until < clock_timestamp() or l.holder = excluded.holder
      returning holder`;
    if (rows.length) this.validUntil = sentAt + this.ttlMs;
    return rows.length > 0;
  }

  /** Still leader until the lease we last renewed may have run out (less one round, for safety). */
  protected failed(): boolean {
    return this.isLeader() && this.clock.now() < this.validUntil - (this.options.everyMs ?? this.ttlMs / 3);
  }

  protected async release(wasLeader: boolean): Promise<void> {
    if (!wasLeader) return;
    await this.options
      .client`delete from relaykit_leases where name = ${this.name} and holder = ${this.options.nodeId}`;
  }
}
