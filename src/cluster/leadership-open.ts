import type { Clock } from '../kernel/clock.ts';
import type { Storage } from '../storage/storage.ts';
import type { PostgresStorage } from '../storage/storage-postgres.ts';
import type { Leadership } from './leadership.ts';
import { MemoryElection } from './leadership-memory.ts';

/** How nodes elect the leader of a singleton (`cluster.leadership`). */
export interface LeadershipSettings {
  /**
   * `advisory`: a session advisory lock on a dedicated connection (moves within about
   * one `intervalMs` of the leader's death). `lease`: a row in `relaykit_leases` renewed
   * every `leaseTtlMs / 3`, for poolers that break session locks (PgBouncer in
   * transaction mode); a dead leader's lease runs out after at most `leaseTtlMs`.
   */
  mode: 'advisory' | 'lease';
  intervalMs: number;
  leaseTtlMs: number;
}

export interface LeadershipFactoryOptions {
  storage: Storage;
  /** The store's URL (the advisory lock opens its own connection to it). */
  url: string;
  nodeId: string;
  settings: () => LeadershipSettings;
  clock: Clock;
  onError(name: string, error: unknown): void;
}

/**
 * Creates the leaderships the kernel hands plugins (`ctx.leadership(name)`), so
 * plugins compete for a singleton without knowing the store. SQLite runs one node:
 * an in-process election whose only candidate leads at once, no I/O. PostgreSQL:
 * nodes sharing the database compete, by advisory lock or lease row.
 */
export class LeadershipFactory {
  private readonly local = new MemoryElection();

  constructor(private readonly options: LeadershipFactoryOptions) {}

  async open(name: string): Promise<Leadership> {
    const { storage, clock, nodeId } = this.options;
    const onError = (error: unknown) => this.options.onError(name, error);
    if (storage.dialect === 'sqlite') return this.local.candidate(name, onError);
    const settings = this.options.settings();
    // Loaded only with a PostgreSQL store (the SQLite build never pulls in the driver).
    const { AdvisoryLeadership, LeaseLeadership } = await import('./leadership-postgres.ts');
    if (settings.mode === 'lease') {
      return new LeaseLeadership({
        name,
        nodeId,
        client: (storage as PostgresStorage).store.client,
        ttlMs: settings.leaseTtlMs,
        everyMs: Math.max(50, Math.floor(settings.leaseTtlMs / 3)),
        clock,
        onError,
      });
    }
    const { openPostgres } = await import('../storage/postgres/index.ts');
    const connection = await openPostgres(this.options.url, { max: 1, applicationName: 'relaykit-leadership' });
    return new AdvisoryLeadership({
      name,
      connection: connection.client,
      everyMs: settings.intervalMs,
      clock,
      onError,
    });
  }
}
