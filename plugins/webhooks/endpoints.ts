import type { KeyObject } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { compilePatterns } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import { nodeCrypto } from '../../src/kernel/node-crypto.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import type { Database, RowGuard } from '../../src/storage/storage.ts';
import type { DisabledReason, EndpointFormat, EndpointRow } from './schema.ts';
import { Sealer } from './sealing.ts';
import { signingKey } from './signing.ts';
import type { WebhookTables } from './tables.ts';

/** An endpoint as the API shows it (never its secrets, and only the names of its headers). */
export interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  channels: string[] | null;
  format: EndpointFormat;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  /** Names of the extra request headers: their values (receivers' credentials) are write-only. */
  headers: string[];
  retrySchedule: number[] | null;
  timeoutMs: number | null;
  consecutiveFailures: number;
  failingSince: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A cached endpoint with its filters compiled, so matching an event costs a set lookup. */
export class CachedEndpoint {
  readonly matchesEvent: (name: string) => boolean;
  readonly matchesChannel: (channel: string | null) => boolean;
  /** The current key alone, and with the previous one (during a rotation's grace period). */
  private readonly current: readonly KeyObject[];
  private readonly both: readonly KeyObject[] | null;

  constructor(readonly row: EndpointRow) {
    this.matchesEvent = compilePatterns(row.events);
    const channels = row.channels?.length ? compilePatterns(row.channels) : null;
    this.matchesChannel = (channel) => !channels || (channel !== null && channels(channel));
    const key = signingKey(row.secret);
    this.current = [key];
    this.both = row.previousSecret ? [key, signingKey(row.previousSecret)] : null;
  }

  get id(): string {
    return this.row.id;
  }

  /** The keys that sign at `now`: the current one, and the previous one during its grace period. */
  keys(now: number): readonly KeyObject[] {
    const graceOver = this.row.previousSecretExpiresAt === null || this.row.previousSecretExpiresAt <= now;
    return this.both && !graceOver ? this.both : this.current;
  }

  toApi(): Endpoint {
    const r = this.row;
    return {
      id: r.id,
      url: r.url,
      description: r.description,
      events: r.events,
      channels: r.channels ?? null,
      format: r.format,
      enabled: r.enabled,
      disabledReason: r.disabledReason ?? null,
      headers: Object.keys(r.headers),
      retrySchedule: r.retrySchedule ?? null,
      timeoutMs: r.timeoutMs ?? null,
      consecutiveFailures: r.consecutiveFailures,
      failingSince: iso(r.failingSince),
      previousSecretExpiresAt: iso(r.previousSecretExpiresAt),
      createdAt: iso(r.createdAt) as string,
      updatedAt: iso(r.updatedAt) as string,
    };
  }
}

const VERSION_KEY = 'endpoints_version';

/**
 * The endpoints table and its in-memory mirror. Every write of this process goes
 * through here, so the cache is current for this node's own writes.
 *
 * On a store several nodes share (PostgreSQL), every endpoint write also bumps
 * `webhook_meta.endpoints_version` in its transaction, and `sync` compares that
 * counter with the version the cache was loaded at (one primary-key read) and reloads
 * when they differ. A batch of messages the cache says no endpoint wants commits under
 * `guard()` (the counter still at the cache's version, checked by the committing
 * statement itself); any other commit syncs inside its transaction. So an endpoint
 * created or changed on node A is used by node B's very next commit. On SQLite (one
 * node) there is nothing to sync and no counter is written.
 *
 * Secrets and headers are sealed (`sealing.ts`) on the way to the table and opened on
 * the way back: the cache holds plaintext, the database never does once a key is set.
 */
export class EndpointStore {
  private cache = new Map<string, CachedEndpoint>();
  private readonly table: WebhookTables['endpoints'];
  private readonly meta: WebhookTables['meta'];
  /** The counter value the cache reflects. */
  private version = 0;
  /** Whether other processes may write endpoints (a server database). */
  private readonly shared: boolean;

  constructor(
    private readonly storage: PluginStorage,
    tables: WebhookTables,
    private readonly clock: Clock,
    private readonly sealer: Sealer = new Sealer(''),
  ) {
    this.table = tables.endpoints;
    this.meta = tables.meta;
    this.shared = storage.dialect !== 'sqlite';
  }

  /**
   * Reads every endpoint from the database into the cache (at start, and to invalidate
   * it). Outside a transaction, rows stored in plaintext or sealed under a previous key
   * are sealed again under the current key (every node of a cluster needs the same key).
   */
  async reload(db: Database = this.storage.db): Promise<void> {
    // The counter row always exists on a shared store, so a message commit's guard can lock it.
    if (this.shared && db === this.storage.db) {
      await db.insert(this.meta).values({ key: VERSION_KEY, value: 0 }).onConflictDoNothing();
    }
    // The counter first: a write landing between the two reads makes the next sync reload again.
    const version = this.shared ? await this.readVersion(db) : 0;
    const rows = await db.select().from(this.table);
    const stale: EndpointRow[] = [];
    const cache = new Map<string, CachedEndpoint>();
    for (const row of rows) {
      const open = this.openRow(row);
      cache.set(row.id, new CachedEndpoint(open));
      if (
        this.sealer.stale(row.secret) ||
        this.sealer.stale(row.previousSecret) ||
        this.sealer.staleHeaders(row.headers)
      ) {
        stale.push(open);
      }
    }
    this.cache = cache;
    this.version = version;
    if (db !== this.storage.db) return;
    for (const open of stale) {
      await this.write(undefined, async (w) => {
        await w
          .update(this.table)
          .set(this.sealValues({ secret: open.secret, previousSecret: open.previousSecret, headers: open.headers }))
          .where(eq(this.table.id, open.id));
      });
    }
  }
  /** Reloads the cache if another node changed an endpoint since it was loaded (inside `db`: a transaction or not). */
  async sync(db: Database = this.storage.db): Promise<void> {
    if (!this.shared) return;
    if ((await this.readVersion(db)) !== this.version) await this.reload(db);
  }

  /**
   * The guard under which the cache may decide that a batch of messages needs no
   * outbox rows: the endpoints counter still at the version the cache reflects (null on
   * SQLite, where no other process writes endpoints). See RowGuard.
   */
  guard(): RowGuard | null {
    if (!this.shared) return null;
    return {
      table: this.meta,
      key: { column: this.meta.key, value: VERSION_KEY },
      column: this.meta.value,
      expected: this.version,
    };
  }

  private async readVersion(db: Database): Promise<number> {
    const [row] = await db.select({ value: this.meta.value }).from(this.meta).where(eq(this.meta.key, VERSION_KEY));
    return row ? Number(row.value) : 0;
  }

  /** Counts one endpoint write, inside the writing transaction (shared stores only); returns the new count. */
  private async bump(tx: Database): Promise<number | null> {
    if (!this.shared) return null;
    const [row] = await tx
      .insert(this.meta)
      .values({ key: VERSION_KEY, value: 1 })
      .onConflictDoUpdate({ target: this.meta.key, set: { value: sql`${this.meta.value} + 1` } })
      .returning({ value: this.meta.value });
    return Number(row.value);
  }

  /**
   * Runs a write of endpoints and its bump in `tx`, or in a transaction of its own on a
   * shared store (the write and its bump commit together), then applies it to the cache
   * (`apply`) and moves the cache's version in the same step: never before the cache
   * holds the write, or a message commit could pass its guard with a cache that lacks it.
   */
  private async write<T>(tx: Database | undefined, fn: (db: Database) => Promise<T>, apply?: (result: T) => void) {
    const run = async (db: Database) => ({ result: await fn(db), version: await this.bump(db) });
    const { result, version } = await (tx
      ? run(tx)
      : this.shared
        ? this.storage.transaction(run)
        : run(this.storage.db));
    apply?.(result);
    // Only when no other node wrote in between: otherwise the next sync reloads their change.
    if (version !== null && version === this.version + 1) this.version = version;
    return result;
  }

  all(): CachedEndpoint[] {
    return [...this.cache.values()].sort((a, b) => a.row.createdAt - b.row.createdAt || (a.id < b.id ? -1 : 1));
  }

  get(id: string): CachedEndpoint | undefined {
    return this.cache.get(id);
  }

  /** Whether any enabled endpoint subscribes to `name` (channel filters aside). */
  anyWants(name: string): boolean {
    for (const endpoint of this.cache.values()) if (endpoint.row.enabled && endpoint.matchesEvent(name)) return true;
    return false;
  }

  /** Enabled endpoints that want an event of `name` on `channel`. */
  matching(name: string, channel: string | null): CachedEndpoint[] {
    const out: CachedEndpoint[] = [];
    for (const endpoint of this.cache.values()) {
      if (endpoint.row.enabled && endpoint.matchesEvent(name) && endpoint.matchesChannel(channel)) out.push(endpoint);
    }
    return out;
  }

  async insert(values: Omit<EndpointRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<CachedEndpoint> {
    const now = this.clock.now();
    const row = await this.write(
      undefined,
      async (db) => {
        const [inserted] = await db
          .insert(this.table)
          .values({
            ...values,
            ...this.sealValues(values),
            id: `ep_${nodeCrypto().randomBytes(12).toString('base64url')}`,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return inserted;
      },
      (inserted) => this.remember(inserted),
    );
    return this.get(row.id) as CachedEndpoint;
  }

  /** Updates columns of one endpoint (inside `tx` when given: a Tx, or the database on its own) and refreshes the cache. */
  async update(
    id: string,
    values: Partial<Omit<EndpointRow, 'id' | 'createdAt'>>,
    tx?: Database,
  ): Promise<CachedEndpoint> {
    return this.updateRow(id, { ...values, ...this.sealValues(values), updatedAt: this.clock.now() }, tx);
  }

  /**
   * Counts one more failure in the endpoint's current run, in the database: the
   * increment reads the stored count under the row's lock, so nodes settling
   * failures of one endpoint at once each count theirs (a cached count could lose one).
   */
  async countFailure(id: string, at: number, tx?: Database): Promise<CachedEndpoint> {
    const t = this.table;
    return this.updateRow(
      id,
      {
        consecutiveFailures: sql`${t.consecutiveFailures} + 1`,
        failingSince: sql`coalesce(${t.failingSince}, ${at})`,
        updatedAt: this.clock.now(),
      },
      tx,
    );
  }

  /** Updates one endpoint's row (a version bump with it) and the cache from what was stored. */
  private async updateRow(
    id: string,
    set: Parameters<ReturnType<Database['update']>['set']>[0],
    tx?: Database,
  ): Promise<CachedEndpoint> {
    const row = await this.write(
      tx,
      async (db) => {
        const [updated] = await db.update(this.table).set(set).where(eq(this.table.id, id)).returning();
        return updated as EndpointRow | undefined;
      },
      (updated) => {
        if (updated) this.remember(updated);
      },
    );
    if (!row) throw new Error(`endpoint ${id} vanished`);
    return this.get(id) as CachedEndpoint;
  }

  async remove(id: string, tx?: Database): Promise<void> {
    await this.write(
      tx,
      (db) => db.delete(this.table).where(eq(this.table.id, id)),
      () => this.cache.delete(id),
    );
  }

  private remember(row: EndpointRow): CachedEndpoint {
    const cached = new CachedEndpoint(this.openRow(row));
    this.cache.set(row.id, cached);
    return cached;
  }

  /** The secret columns of `values` as they are stored: sealed when a key is set. */
  private sealValues(values: Partial<Pick<EndpointRow, 'secret' | 'previousSecret' | 'headers'>>) {
    const sealed: Partial<Pick<EndpointRow, 'secret' | 'previousSecret' | 'headers'>> = {};
    if (values.secret !== undefined) sealed.secret = this.sealer.seal(values.secret);
    if (values.previousSecret !== undefined && values.previousSecret !== null) {
      sealed.previousSecret = this.sealer.seal(values.previousSecret);
    }
    if (values.headers !== undefined) sealed.headers = this.sealer.sealHeaders(values.headers);
    return sealed;
  }

  private openRow(row: EndpointRow): EndpointRow {
    return {
      ...row,
      secret: this.sealer.open(row.secret),
      previousSecret: row.previousSecret === null ? null : this.sealer.open(row.previousSecret),
      headers: this.sealer.openHeaders(row.headers),
    };
  }
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
