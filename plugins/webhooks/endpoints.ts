import type { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { compilePatterns } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import type { Database } from '../../src/storage/storage.ts';
import type { DisabledReason, EndpointFormat, EndpointRow } from './schema.ts';
import { Sealer } from './sealing.ts';
import { secretKey } from './signing.ts';
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
  private readonly key: Buffer;
  private readonly previousKey: Buffer | null;

  constructor(readonly row: EndpointRow) {
    this.matchesEvent = compilePatterns(row.events);
    const channels = row.channels?.length ? compilePatterns(row.channels) : null;
    this.matchesChannel = (channel) => !channels || (channel !== null && channels(channel));
    this.key = secretKey(row.secret);
    this.previousKey = row.previousSecret ? secretKey(row.previousSecret) : null;
  }

  get id(): string {
    return this.row.id;
  }

  /** The keys that sign at `now`: the current one, and the previous one during its grace period. */
  keys(now: number): Buffer[] {
    const graceOver = this.row.previousSecretExpiresAt === null || this.row.previousSecretExpiresAt <= now;
    return this.previousKey && !graceOver ? [this.key, this.previousKey] : [this.key];
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

/**
 * The endpoints table and its in-memory mirror. Every write of this process goes
 * through here, so the cache the outbox hook reads inside each message commit is
 * current for this node. It is a per-node cache: a write by another node sharing the
 * database is not seen until `reload` (docs/storage.md lists these caches).
 *
 * Secrets and headers are sealed (`sealing.ts`) on the way to the table and opened on
 * the way back: the cache holds plaintext, the database never does once a key is set.
 */
export class EndpointStore {
  private cache = new Map<string, CachedEndpoint>();
  private readonly table: WebhookTables['endpoints'];

  constructor(
    private readonly storage: PluginStorage,
    tables: WebhookTables,
    private readonly clock: Clock,
    private readonly sealer: Sealer = new Sealer(''),
  ) {
    this.table = tables.endpoints;
  }

  /**
   * Reads every endpoint from the database into the cache (at start, and to invalidate
   * it). Rows stored in plaintext, or sealed under a previous key, are sealed again
   * under the current key.
   */
  async reload(): Promise<void> {
    const rows = await this.storage.db.select().from(this.table);
    const cache = new Map<string, CachedEndpoint>();
    for (const row of rows) {
      const open = this.openRow(row);
      cache.set(row.id, new CachedEndpoint(open));
      if (
        this.sealer.stale(row.secret) ||
        this.sealer.stale(row.previousSecret) ||
        this.sealer.staleHeaders(row.headers)
      ) {
        await this.storage.db
          .update(this.table)
          .set(this.sealValues({ secret: open.secret, previousSecret: open.previousSecret, headers: open.headers }))
          .where(eq(this.table.id, row.id));
      }
    }
    this.cache = cache;
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
    const [row] = await this.storage.db
      .insert(this.table)
      .values({
        ...values,
        ...this.sealValues(values),
        id: `ep_${randomBytes(12).toString('base64url')}`,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return this.remember(row);
  }

  /** Updates columns of one endpoint (inside `tx` when given: a Tx, or the database on its own) and refreshes the cache. */
  async update(
    id: string,
    values: Partial<Omit<EndpointRow, 'id' | 'createdAt'>>,
    tx: Database = this.storage.db,
  ): Promise<CachedEndpoint> {
    const [row] = await tx
      .update(this.table)
      .set({ ...values, ...this.sealValues(values), updatedAt: this.clock.now() })
      .where(eq(this.table.id, id))
      .returning();
    if (!row) throw new Error(`endpoint ${id} vanished`);
    return this.remember(row);
  }

  async remove(id: string, tx: Database = this.storage.db): Promise<void> {
    await tx.delete(this.table).where(eq(this.table.id, id));
    this.cache.delete(id);
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
