import { eq } from 'drizzle-orm';
import type { Storage } from '../../storage/storage.ts';
import { type ClientAccess, type KeyScopeSet, keyAccess } from '../access.ts';
import type { Clock } from '../clock.ts';
import { HubError } from '../errors.ts';
import { nodeCrypto } from '../node-crypto.ts';
import { type ApiKeyRow, apiKeys } from './schema.ts';

/** The PostgreSQL twin is imported only on PostgreSQL: a SQLite hub never loads pg-core. */
const tables = {
  sqlite: { apiKeys },
  postgres: () => import('./schema.pg.ts').then((pg) => ({ apiKeys: pg.apiKeys })),
};

/** A key as the admin API shows it: never the key, never its hash. */
export interface StoredKeyView {
  id: string;
  name: string;
  scopes: { publish: string[]; read: string[]; to: string[]; actAs: string[]; admin: boolean };
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Prefix of keys made by the hub, so they are recognisable in logs and secret scanners. */
const KEY_PREFIX = 'rk_';
/** How often last-used times are written back, and the table re-read (revocations made on other nodes). */
const SYNC_INTERVAL_MS = 30_000;

function sha256(value: string): string {
  return nodeCrypto().createHash('sha256').update(value).digest('hex');
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * API keys created through the admin API (`/admin/keys`), kept in the database as
 * the sha256 of the key: shown once at creation, named, scoped like config keys,
 * revocable, with their last use. Lookups hit an in-memory map of active keys (a
 * presented token costs one hash, never a query). On a shared store (PostgreSQL) the
 * map is re-read, and last-used times written back, every 30 s, so a key revoked on
 * another node stops working here within that time (at once on the node that revoked
 * it); on SQLite last-used times are written when the keys are listed and at stop.
 */
export class StoredKeys {
  private active = new Map<string, { row: ApiKeyRow; access: ClientAccess }>();
  private readonly used = new Map<string, number>();
  /** This dialect's table, picked in `start` (before which nothing queries). */
  private t: typeof tables.sqlite = tables.sqlite;
  private cancelSync: (() => void) | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  /** Active keys (they count as credentials: a hub with one is not in open mode). */
  get size(): number {
    return this.active.size;
  }

  /** Reads the active keys and, on a store several nodes share, starts the periodic sync. */
  async start(): Promise<void> {
    this.t = await this.storage.tables(tables);
    await this.reload();
    // One node alone (SQLite) sees every change itself; last-used times are written at list and stop.
    if (this.storage.dialect === 'sqlite') return;
    this.cancelSync = this.clock.setInterval(() => {
      this.sync().catch(() => {
        // The database is unavailable: readiness reports it; the cache keeps serving.
      });
    }, SYNC_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    this.cancelSync?.();
    await this.flushUsed().catch(() => {});
  }

  /** The access of the stored key `token` is, or null. */
  find(token: string, now: number): ClientAccess | null {
    if (!token.startsWith(KEY_PREFIX)) return null;
    const hit = this.active.get(sha256(token));
    if (!hit) return null;
    this.used.set(hit.row.id, now);
    return hit.access;
  }

  /** Creates a key; the plaintext is in the result and nowhere else. */
  async create(name: string, scopes: KeyScopeSet): Promise<StoredKeyView & { key: string }> {
    const key = KEY_PREFIX + nodeCrypto().randomBytes(32).toString('base64url');
    const row: ApiKeyRow = {
      id: `key_${nodeCrypto().randomBytes(9).toString('base64url')}`,
      name,
      hash: sha256(key),
      scopes,
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.storage.db.insert(this.t.apiKeys).values(row);
    this.active.set(row.hash, { row, access: keyAccess(name, scopes) });
    return { ...this.view(row), key };
  }

  async list(): Promise<StoredKeyView[]> {
    await this.flushUsed();
    const rows = await this.storage.db.select().from(this.t.apiKeys);
    return rows.sort((a, b) => a.createdAt - b.createdAt).map((row) => this.view(row));
  }

  /** Revokes a key: refused from now on, kept in the list with its revocation time. */
  async revoke(id: string): Promise<StoredKeyView> {
    const [row] = await this.storage.db
      .update(this.t.apiKeys)
      .set({ revokedAt: this.clock.now() })
      .where(eq(this.t.apiKeys.id, id))
      .returning();
    if (!row) throw new HubError('RELAYKIT_ERR_NOT_FOUND', `No API key has id "${id}"`);
    this.active.delete(row.hash);
    return this.view(row);
  }

  private async reload(): Promise<void> {
    const rows = await this.storage.db.select().from(this.t.apiKeys);
    this.active = new Map(
      rows
        .filter((row) => row.revokedAt === null)
        .map((row) => [row.hash, { row, access: keyAccess(row.name, row.scopes) }]),
    );
  }

  private async sync(): Promise<void> {
    await this.flushUsed();
    await this.reload();
  }

  private async flushUsed(): Promise<void> {
    const used = [...this.used];
    this.used.clear();
    for (const [id, at] of used) {
      await this.storage.db.update(this.t.apiKeys).set({ lastUsedAt: at }).where(eq(this.t.apiKeys.id, id));
    }
  }

  private view(row: ApiKeyRow): StoredKeyView {
    const pending = this.used.get(row.id);
    return {
      id: row.id,
      name: row.name,
      scopes: {
        publish: [...row.scopes.publish],
        read: [...row.scopes.read],
        to: [...row.scopes.to],
        actAs: [...row.scopes.actAs],
        admin: row.scopes.admin,
      },
      createdAt: iso(row.createdAt) as string,
      lastUsedAt: iso(pending ?? row.lastUsedAt),
      revokedAt: iso(row.revokedAt),
    };
  }
}
