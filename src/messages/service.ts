import { setImmediate } from 'node:timers';
import { and, asc, eq, gt, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { EventBus } from '../kernel/bus.ts';
import type { Clock } from '../kernel/clock.ts';
import { HubError } from '../kernel/errors.ts';
import { assertFaithfulJson } from '../kernel/json-guard.ts';
import type { Logger } from '../kernel/logger.ts';
import type { CoreMetrics } from '../kernel/metrics.ts';
import type { SqliteDatabase } from '../runtime/types.ts';
import { hubMeta, type MessageRow, messages } from './schema.ts';
import type { Message, MessageDraft, MessageInput } from './types.ts';

/** A transaction handle inside a group commit (the same query builder as the database). */
export type Transaction = Parameters<Parameters<SqliteDatabase['transaction']>[0]>[0];

/**
 * Hooks plugins attach to message ingest. `prepare` runs before the commit and may
 * set the expiry or reject the message with a HubError; `afterInsert` runs inside
 * the commit's transaction (synchronously), so rows it writes are atomic with the
 * messages themselves (the webhooks outbox).
 */
export interface MessageHooks {
  prepare?(draft: MessageDraft): void;
  afterInsert?(tx: Transaction, messages: readonly Message[]): void;
}

/** Filters for `GET /messages`: every given filter must match. */
export interface ListQuery {
  client?: string;
  channel?: string;
  type?: string;
  after?: number;
  limit: number;
}

/** Filters for resuming a subscriber: a message matches when it is on one of `channels` or addressed to `to`. */
export interface ReplayQuery {
  after: number;
  channels?: readonly string[];
  to?: string;
  /** Every message, whatever its channel or recipient (admin streams). */
  all?: boolean;
  types?: readonly string[];
  limit: number;
}

/** The message core as plugins see it. */
export interface MessageService {
  /** Validates through the hooks, commits (group commit), publishes `message.sent`, resolves with the stored message. */
  send(input: MessageInput): Promise<Message>;
  /** The message, unless it does not exist or has expired. */
  get(id: number): Message | null;
  list(query: ListQuery): Message[];
  replay(query: ReplayQuery): Message[];
  /** Marks the message delivered; publishes `message.delivered` the first time. */
  ack(id: number, by?: string): Message;
  /** Highest id that retention may have removed: a resume from before it may have missed messages. */
  horizon(): number;
  /** Records that retention removed messages up to `id` (inside the removing transaction when given). */
  advanceHorizon(id: number, tx?: Transaction): void;
  /** The highest id committed so far (0 when none). */
  lastId(): number;
  /** Resolves once every message accepted so far is committed. */
  flush(): Promise<void>;
}

interface Pending {
  draft: MessageDraft;
  payload: string;
  resolve(message: Message): void;
  reject(error: unknown): void;
}

const HORIZON_KEY = 'retention_horizon';

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    from: row.from,
    to: row.to,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload),
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
    deliveredAt: row.deliveredAt === null ? null : new Date(row.deliveredAt).toISOString(),
  };
}

export class SqliteMessageService implements MessageService {
  private queue: Pending[] = [];
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private horizonCache: number | null = null;
  /** While plugins change, ingest waits so every message sees one consistent set of hooks. */
  private holds = 0;
  private held: Promise<void> = Promise.resolve();
  private unhold: () => void = () => {};
  /** The hot read path, prepared once. */
  private readonly byId;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly metrics: CoreMetrics,
    private readonly log: Logger,
    private readonly hooks: () => readonly MessageHooks[],
    private readonly maxBatch: number,
  ) {
    this.byId = db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.id, sql.placeholder('id')),
          or(isNull(messages.expiresAt), gt(messages.expiresAt, sql.placeholder('now'))),
        ),
      )
      .prepare();
  }

  async send(input: MessageInput): Promise<Message> {
    assertFaithfulJson(input.payload);
    if (this.holds > 0) await this.held;
    const createdAt = this.clock.now();
    const draft: MessageDraft = {
      input,
      createdAt,
      expiresAt: input.ttl === undefined ? null : createdAt + input.ttl * 1000,
    };
    for (const hook of this.hooks()) hook.prepare?.(draft);
    const payload = JSON.stringify(input.payload ?? null);
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({ draft, payload, resolve, reject });
      this.schedule();
    });
  }

  get(id: number): Message | null {
    const row = this.byId.get({ id, now: this.clock.now() });
    return row ? toMessage(row) : null;
  }

  list(query: ListQuery): Message[] {
    const where: SQL[] = [this.notExpired()];
    if (query.after !== undefined) where.push(gt(messages.id, query.after));
    if (query.client !== undefined) where.push(eq(messages.to, query.client));
    if (query.channel !== undefined) where.push(eq(messages.channel, query.channel));
    if (query.type !== undefined) where.push(eq(messages.type, query.type));
    return this.page(where, query.limit);
  }

  replay(query: ReplayQuery): Message[] {
    const where: SQL[] = [gt(messages.id, query.after), this.notExpired()];
    if (!query.all) {
      const targets: SQL[] = [];
      if (query.channels?.length) targets.push(inArray(messages.channel, [...query.channels]));
      if (query.to !== undefined) targets.push(eq(messages.to, query.to));
      if (!targets.length) return [];
      where.push(targets.length === 1 ? targets[0] : (or(...targets) as SQL));
    }
    if (query.types?.length) where.push(inArray(messages.type, [...query.types]));
    return this.page(where, query.limit);
  }

  /** Messages matching every condition, in ascending id order. */
  private page(where: SQL[], limit: number): Message[] {
    return this.db
      .select()
      .from(messages)
      .where(and(...where))
      .orderBy(asc(messages.id))
      .limit(limit)
      .all()
      .map(toMessage);
  }

  ack(id: number, by?: string): Message {
    const now = this.clock.now();
    const updated = this.db
      .update(messages)
      .set({ deliveredAt: now, deliveredBy: by ?? null })
      .where(and(eq(messages.id, id), isNull(messages.deliveredAt), this.notExpired()))
      .returning()
      .get();
    if (updated) {
      const message = toMessage(updated);
      this.bus.publish('message.delivered', {
        id,
        by: by ?? null,
        at: new Date(now).toISOString(),
        message,
      });
      return message;
    }
    const existing = this.get(id);
    if (!existing) throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${id}`);
    return existing;
  }

  horizon(): number {
    if (this.horizonCache === null) {
      const row = this.db.select().from(hubMeta).where(eq(hubMeta.key, HORIZON_KEY)).get();
      this.horizonCache = row ? Number(row.value) : 0;
    }
    return this.horizonCache;
  }

  advanceHorizon(id: number, tx?: Transaction): void {
    const current = this.horizon();
    if (id <= current) return;
    (tx ?? this.db)
      .insert(hubMeta)
      .values({ key: HORIZON_KEY, value: String(id) })
      .onConflictDoUpdate({ target: hubMeta.key, set: { value: String(id) } })
      .run();
    this.horizonCache = id;
  }

  lastId(): number {
    const row = this.db
      .select({ id: sql<number>`coalesce(max(${messages.id}), 0)` })
      .from(messages)
      .get();
    return Math.max(row?.id ?? 0, this.horizon());
  }

  flush(): Promise<void> {
    return this.queue.length || this.scheduled ? this.idle : Promise.resolve();
  }

  /**
   * Holds ingest until the returned function is called: new messages wait before
   * their hooks run and queued ones are not committed. The hub holds while it
   * applies a plugin change, so no message slips between an old hook and a new one
   * (a webhook outbox that misses messages posted during a restart).
   */
  hold(): () => void {
    if (this.holds++ === 0) {
      this.held = new Promise((resolve) => {
        this.unhold = resolve;
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds > 0) return;
      this.unhold();
      if (this.queue.length) this.schedule();
    };
  }

  private notExpired(): SQL {
    return or(isNull(messages.expiresAt), gt(messages.expiresAt, this.clock.now())) as SQL;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.idle = new Promise((resolve) => {
      this.markIdle = resolve;
    });
    // Yield to the event loop once so concurrent requests join the same transaction.
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Held: the queue waits; release() schedules it again.
    if (this.holds > 0) {
      this.markIdle();
      return;
    }
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        this.commit(batch);
      } catch (err) {
        if (batch.length === 1) {
          this.fail(batch[0], err);
          continue;
        }
        // One bad message (a hook that threw) must not fail the others: retry them one by one.
        for (const pending of batch) {
          try {
            this.commit([pending]);
          } catch (single) {
            this.fail(pending, single);
          }
        }
      }
    }
    this.markIdle();
  }

  private fail(pending: Pending, err: unknown): void {
    this.log.error({ err, type: pending.draft.input.type }, 'message commit failed');
    pending.reject(
      err instanceof HubError ? err : new HubError('RELAYKIT_ERR_INTERNAL', 'The message could not be stored'),
    );
  }

  private commit(batch: Pending[]): void {
    const stored: Message[] = [];
    const hooks = this.hooks();
    this.db.transaction((tx) => {
      const ids = tx
        .insert(messages)
        .values(
          batch.map(({ draft, payload }) => ({
            from: draft.input.from ?? null,
            to: draft.input.to ?? null,
            channel: draft.input.channel ?? null,
            type: draft.input.type,
            payload,
            createdAt: draft.createdAt,
            expiresAt: draft.expiresAt,
          })),
        )
        .returning({ id: messages.id })
        .all()
        .map((r) => r.id)
        .sort((a, b) => a - b);
      batch.forEach(({ draft }, i) => {
        stored.push({
          id: ids[i],
          from: draft.input.from ?? null,
          to: draft.input.to ?? null,
          channel: draft.input.channel ?? null,
          type: draft.input.type,
          payload: draft.input.payload ?? null,
          createdAt: new Date(draft.createdAt).toISOString(),
          expiresAt: draft.expiresAt === null ? null : new Date(draft.expiresAt).toISOString(),
          deliveredAt: null,
        });
      });
      for (const hook of hooks) hook.afterInsert?.(tx, stored);
    });
    this.metrics.groupCommitBatch.observe(batch.length);
    batch.forEach((pending, i) => {
      const message = stored[i];
      this.metrics.messagesPublished.inc({ type: typeLabel(message.type) });
      this.bus.publish('message.sent', message);
      pending.resolve(message);
    });
  }
}

/** Message types are user-supplied: keep the label set bounded by their first segment. */
function typeLabel(type: string): string {
  const head = type.split(/[.:/]/, 1)[0];
  return head.length <= 32 ? head : 'other';
}
