import type { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { compilePatterns } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import type { SqliteDatabase } from '../../src/runtime/types.ts';
import { type DisabledReason, type EndpointFormat, type EndpointRow, webhookEndpoints } from './schema.ts';
import { secretKey } from './signing.ts';

type Writer = Pick<SqliteDatabase, 'update' | 'insert' | 'delete'>;

/** An endpoint as the API shows it (never its secrets). */
export interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  channels: string[] | null;
  format: EndpointFormat;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  headers: Record<string, string>;
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
      headers: r.headers,
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
 * The endpoints table and its in-memory mirror. Every write goes through here, so the
 * cache the outbox hook reads inside each message commit is always current.
 */
export class EndpointStore {
  private readonly cache = new Map<string, CachedEndpoint>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock,
  ) {
    for (const row of db.select().from(webhookEndpoints).all()) this.cache.set(row.id, new CachedEndpoint(row));
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

  insert(values: Omit<EndpointRow, 'id' | 'createdAt' | 'updatedAt'>): CachedEndpoint {
    const now = this.clock.now();
    const row = this.db
      .insert(webhookEndpoints)
      .values({ ...values, id: `ep_${randomBytes(12).toString('base64url')}`, createdAt: now, updatedAt: now })
      .returning()
      .get();
    return this.remember(row);
  }

  /** Updates columns of one endpoint (inside `tx` when given) and refreshes the cache. */
  update(id: string, values: Partial<Omit<EndpointRow, 'id' | 'createdAt'>>, tx: Writer = this.db): CachedEndpoint {
    const row = tx
      .update(webhookEndpoints)
      .set({ ...values, updatedAt: this.clock.now() })
      .where(eq(webhookEndpoints.id, id))
      .returning()
      .get();
    if (!row) throw new Error(`endpoint ${id} vanished`);
    return this.remember(row);
  }

  remove(id: string, tx: Writer = this.db): void {
    tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run();
    this.cache.delete(id);
  }

  private remember(row: EndpointRow): CachedEndpoint {
    const cached = new CachedEndpoint(row);
    this.cache.set(row.id, cached);
    return cached;
  }
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
