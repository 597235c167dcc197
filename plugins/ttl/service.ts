import { count, sql } from 'drizzle-orm';
import {
  type ClientAccess,
  canChangeMessage,
  canReadMessage,
  defineErrors,
  type HealthCheck,
  HubError,
  type Leadership,
  type Message,
  type MessageDraft,
  type MessageHooks,
  type PluginContext,
} from '../../src/index.ts';
import { Archive, type ArchivedMessage, listArchive } from './archive.ts';
import { createTtlMetrics } from './metrics.ts';
import type { TtlOptions } from './options.ts';
import { PolicyTable } from './policies.ts';
import { Sweeper, type SweeperStats } from './sweeper.ts';
import { ttlTables } from './tables.ts';

export const TtlErrors = defineErrors({
  RELAYKIT_ERR_TTL_TOO_LONG: {
    status: 422,
    message: 'The requested lifetime is longer than the hub allows (plugins.ttl.maxTtlSeconds)',
  },
  RELAYKIT_ERR_TTL_UNKNOWN_POLICY: { status: 422, message: 'No retention policy has this name' },
});

/** Counts in `GET /ttl/stats` stop here, so the endpoint stays cheap on huge tables. */
export const COUNT_LIMIT = 100_000;

/** What an extension asks for: more seconds on the current expiry, or a policy from now. */
export type ExtendRequest = { seconds: number; policy?: undefined } | { policy: string; seconds?: undefined };

export interface TtlStats {
  since: string;
  expired: number;
  archived: number;
  pruned: number;
  pendingExpiry: number;
  scheduled: number;
  archiveRows: number;
  countLimit: number;
  nextExpiry: string | null;
  lagSeconds: number;
  sweeper: Omit<SweeperStats, 'expired' | 'archived' | 'pruned' | 'lastSweepAt'> & { lastSweepAt: string | null };
}

/** One ttl instance: its policy table, the sweeper, the archive, and the ingest and ack hooks. */
/** The singleton the sweeper runs as: one node at a time sweeps a shared database. */
export const SWEEPER_LEADERSHIP = 'ttl-sweeper';

export class TtlService {
  readonly policies: PolicyTable;
  readonly sweeper: Sweeper;
  private readonly since: number;
  private readonly tables: typeof ttlTables.sqlite;
  /** One sweeper runs in a cluster: this node's candidacy (always the leader on SQLite). */
  private leader: Leadership | null = null;

  constructor(private readonly ctx: PluginContext<TtlOptions>) {
    const { options } = ctx;
    this.policies = new PolicyTable(options);
    this.since = ctx.clock.now();
    this.tables = ctx.storage.tables(ttlTables);
    this.sweeper = new Sweeper({
      storage: ctx.storage,
      clock: ctx.clock,
      retention: ctx.messages.retention,
      bus: ctx.bus,
      log: ctx.log,
      archive: new Archive(options.archive, this.tables.ttlArchive),
      metrics: createTtlMetrics(ctx.metrics, () => this.lagSeconds()),
      options: options.sweeper,
      leads: () => this.leader?.isLeader() ?? false,
    });
  }

  readonly hooks: MessageHooks = {
    prepare: (draft) => this.prepare(draft),
    // Before the ack answers: once acknowledged, an IMMEDIATE message is gone from reads.
    afterAck: (message) => this.onDelivered(message),
  };

  async start(): Promise<void> {
    this.leader = await this.ctx.leadership(SWEEPER_LEADERSHIP);
    // A node that takes over sweeps at once: what was due while the old leader died is not left waiting.
    this.leader.onChange((leads) => {
      if (leads) this.sweeper.kick();
    });
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    await this.leader?.close();
  }

  /** A client's `ttl` wins (within the maximum); otherwise the type's policy sets the expiry. */
  prepare(draft: MessageDraft): void {
    const { input, createdAt } = draft;
    if (input.ttl !== undefined) {
      draft.expiresAt = this.withinMax(createdAt + input.ttl * 1000, createdAt, createdAt, `ttl ${input.ttl} s`);
      return;
    }
    const { policy } = this.policies.resolve(input.type);
    const seconds = policy.kind === 'immediate' ? this.ctx.options.immediateMaxAgeSeconds : policy.seconds;
    draft.expiresAt = seconds === null ? null : createdAt + seconds * 1000;
  }

  /**
   * Extends a message's life: `seconds` are added to its current expiry, a `policy`
   * counts from now. Never shortens it; a permanent message stays as it is. Without
   * the admin token the result is held to `maxTtlSeconds` from now. Only the
   * recipient (or a caller acting as it, or admin) may extend: `access` decides.
   */
  async extend(id: number, request: ExtendRequest, access: ClientAccess): Promise<Message> {
    const admin = access.admin;
    const now = this.ctx.clock.now();
    const current = await this.ctx.messages.get(id);
    if (!current || !canReadMessage(access, current))
      throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${id}`);
    if (!canChangeMessage(access, current)) {
      throw new HubError(
        'RELAYKIT_ERR_FORBIDDEN',
        'Only the recipient (or a key that may act as it) extends a message',
      );
    }
    if (current.expiresAt === null) return current;
    const floor = Date.parse(current.expiresAt);
    let target: number | null;
    if (request.seconds !== undefined) {
      target = floor + request.seconds * 1000;
    } else {
      const policy = this.policies.lookup(request.policy);
      if (!policy) {
        throw new HubError('RELAYKIT_ERR_TTL_UNKNOWN_POLICY', `No retention policy is named "${request.policy}"`, {
          known: [...this.policies.named.keys()],
        });
      }
      if (policy.kind === 'immediate') {
        throw new HubError(
          'RELAYKIT_ERR_VALIDATION',
          'IMMEDIATE is not a lifetime: acknowledge the message to delete it',
          [{ in: 'body', path: '/policy', message: 'IMMEDIATE cannot extend a message' }],
        );
      }
      target = policy.seconds === null ? null : Math.max(floor, now + policy.seconds * 1000);
    }
    if (!admin) target = this.withinMax(target, now, floor, 'the extension');
    const updated = await this.ctx.messages.retention.setExpiry(id, target);
    if (!updated) throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${id}`);
    return updated;
  }

  /** The limits clients are held to, for `GET /ttl/policies`. */
  limits() {
    const { maxTtlSeconds, overMaxTtl, immediateMaxAgeSeconds } = this.ctx.options;
    return { maxTtlSeconds, overMaxTtl, immediateMaxAgeSeconds };
  }

  archived(query: { type?: string; after?: number; limit: number }): Promise<ArchivedMessage[]> {
    return listArchive(this.ctx.storage.db, this.tables.ttlArchive, query);
  }

  async stats(): Promise<TtlStats> {
    const { retention } = this.ctx.messages;
    const next = await retention.nextExpiry();
    const { expired, archived, pruned, lastSweepAt, ...sweeper } = this.sweeper.snapshot();
    return {
      since: new Date(this.since).toISOString(),
      expired,
      archived,
      pruned,
      pendingExpiry: await retention.count('due', COUNT_LIMIT),
      scheduled: await retention.count('scheduled', COUNT_LIMIT),
      archiveRows: await this.archiveRows(),
      countLimit: COUNT_LIMIT,
      nextExpiry: next === null ? null : new Date(next).toISOString(),
      lagSeconds: await this.lagSeconds(),
      sweeper: { ...sweeper, lastSweepAt: lastSweepAt === null ? null : new Date(lastSweepAt).toISOString() },
    };
  }

  /** Age of the oldest expired message still stored, in seconds (0 when the sweeper is caught up). */
  async lagSeconds(): Promise<number> {
    const oldest = await this.ctx.messages.retention.oldestExpiry();
    const now = this.ctx.clock.now();
    return oldest === null || oldest > now ? 0 : (now - oldest) / 1000;
  }

  health(): HealthCheck[] {
    const { lagWarnSeconds, lagFailSeconds } = this.ctx.options.health;
    return [
      {
        name: 'ttl:sweeperLag',
        componentType: 'component',
        affectsReadiness: false,
        check: async () => {
          const lag = await this.lagSeconds();
          const { lastError } = this.sweeper.snapshot();
          const status = lag >= lagFailSeconds ? 'fail' : lag >= lagWarnSeconds || lastError ? 'warn' : 'pass';
          const output =
            status === 'pass'
              ? undefined
              : `the oldest expired message is ${lag.toFixed(1)} s past its expiry${lastError ? `; last sweep failed: ${lastError}` : ''}`;
          return { status, observedValue: Number(lag.toFixed(3)), observedUnit: 's', ...(output ? { output } : {}) };
        },
      },
    ];
  }

  /** IMMEDIATE messages expire when acknowledged: hidden from reads at once, deleted by the next sweep. */
  private async onDelivered(message: Message): Promise<void> {
    if (this.policies.resolve(message.type).policy.kind !== 'immediate') return;
    try {
      // Expires now: hidden from reads at once (setExpiry returns null: nothing live any more).
      const expired = await this.ctx.messages.retention.setExpiry(message.id, this.ctx.clock.now());
      if (expired === null) this.sweeper.kick();
    } catch (err) {
      this.ctx.log.error({ err, id: message.id }, 'ttl could not expire an acknowledged IMMEDIATE message');
    }
  }

  /** Holds a requested expiry to `maxTtlSeconds` from now: capped (never below `floor`) or rejected. */
  private withinMax(requested: number | null, now: number, floor: number, what: string): number | null {
    const { maxTtlSeconds, overMaxTtl } = this.ctx.options;
    const max = now + maxTtlSeconds * 1000;
    if (requested !== null && requested <= max) return requested;
    if (overMaxTtl === 'reject') {
      throw new HubError(
        'RELAYKIT_ERR_TTL_TOO_LONG',
        `${what} would keep the message longer than ${maxTtlSeconds} s (plugins.ttl.maxTtlSeconds)`,
        { maxTtlSeconds },
      );
    }
    return Math.max(floor, max);
  }

  private async archiveRows(): Promise<number> {
    const { db } = this.ctx.storage;
    const rows = db.select({ one: sql`1` }).from(this.tables.ttlArchive).limit(COUNT_LIMIT).as('counted');
    const [row] = await db.select({ n: count() }).from(rows);
    return Number(row?.n ?? 0);
  }
}
