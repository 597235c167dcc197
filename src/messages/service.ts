import { setImmediate } from 'node:timers';
import type { EventBus } from '../kernel/bus.ts';
import type { Clock } from '../kernel/clock.ts';
import { HubError, storageFaultError } from '../kernel/errors.ts';
import { assertFaithfulJson } from '../kernel/json-guard.ts';
import type { Logger } from '../kernel/logger.ts';
import { boundedLabel, type CoreMetrics } from '../kernel/metrics.ts';
import { storageFault } from '../storage/faults.ts';
import { isStorageUnavailable } from '../storage/postgres/errors.ts';
import type { Storage, Tx } from '../storage/storage.ts';
import type { Retention } from './retention.ts';
import type { ExpiredRow, ListQuery, MessageStore, ReplayQuery } from './store.ts';
import type { Message, MessageDraft, MessageInput } from './types.ts';

export type { ListQuery, ReplayQuery } from './store.ts';

/**
 * Hooks plugins attach to message ingest. `prepare` runs before the commit and may
 * set the expiry or reject the message with a HubError. `afterInsert` runs inside
 * the commit's transaction, which it receives: rows it writes through `tx` are
 * atomic with the messages themselves (the webhooks outbox). It may be async; keep
 * it to queries (every batch of messages waits for it).
 */
export interface MessageHooks {
  prepare?(draft: MessageDraft): void;
  afterInsert?(tx: Tx, messages: readonly Message[]): void | Promise<void>;
  /** Runs after a message is first acknowledged, before `ack` answers (IMMEDIATE retention hides it here). */
  afterAck?(message: Message): void | Promise<void>;
}

/**
 * The message core as plugins see it. Every read goes to the store (there is no
 * per-node copy of messages); the retention horizon is cached per node, see `refresh`.
 */
export interface MessageService {
  /** Validates through the hooks, commits (group commit), publishes `message.sent`, resolves with the stored message. */
  send(input: MessageInput): Promise<Message>;
  /** The message, unless it does not exist or has expired. */
  get(id: number): Promise<Message | null>;
  list(query: ListQuery): Promise<Message[]>;
  replay(query: ReplayQuery): Promise<Message[]>;
  /** Marks the message delivered; publishes `message.delivered` the first time. */
  ack(id: number, by?: string): Promise<Message>;
  /** Highest id that retention may have removed: a resume from before it may have missed messages. */
  horizon(): Promise<number>;
  /** The highest id committed so far (0 when none). */
  lastId(): Promise<number>;
  /** Resolves once every message accepted so far is committed. */
  flush(): Promise<void>;
  /** Expiry, extension and removal of messages: the only way to change the log's retention. */
  readonly retention: Retention;
  /**
   * Forgets what this node caches about the shared log (the retention horizon), so the
   * next read goes to the database. Call it when another node may have changed it.
   */
  refresh(): void;
}

interface Pending {
  draft: MessageDraft;
  payload: string;
  resolve(message: Message): void;
  reject(error: unknown): void;
}

/**
 * The message core over a store: group commit on the way in (concurrent sends share
 * one transaction), reads straight from the store, and retention.
 */
export class MessageCore implements MessageService {
  /** The bounded `type` label of relaykit_messages_published_total. */
  private readonly typeLabel = typeLabeler();
  private queue: Pending[] = [];
  private scheduled = false;
  private draining = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** Per-node cache of the retention horizon (stale across nodes until `refresh`). */
  private horizonCache: number | null = null;
  /** While plugins change, ingest waits so every message sees one consistent set of hooks. */
  private holds = 0;
  private held: Promise<void> = Promise.resolve();
  private unhold: () => void = () => {};
  readonly retention: Retention;

  constructor(
    private readonly storage: Storage,
    private readonly store: MessageStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly metrics: CoreMetrics,
    private readonly log: Logger,
    private readonly hooks: () => readonly MessageHooks[],
    private readonly maxBatch: number,
  ) {
    this.retention = this.createRetention();
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

  get(id: number): Promise<Message | null> {
    return this.store.get(id, this.clock.now());
  }

  list(query: ListQuery): Promise<Message[]> {
    return this.store.list(query, this.clock.now());
  }

  replay(query: ReplayQuery): Promise<Message[]> {
    return this.store.replay(query, this.clock.now());
  }

  async ack(id: number, by?: string): Promise<Message> {
    const now = this.clock.now();
    const message = await this.store.markDelivered(id, by ?? null, now);
    if (message) {
      for (const hook of this.hooks()) await hook.afterAck?.(message);
      this.bus.publish('message.delivered', { id, by: by ?? null, at: new Date(now).toISOString(), message });
      return message;
    }
    const existing = await this.get(id);
    if (!existing) throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${id}`);
    return existing;
  }

  async horizon(): Promise<number> {
    if (this.horizonCache === null) this.horizonCache = await this.store.horizon();
    return this.horizonCache;
  }

  /** Raises the retention horizon by hand (an operator discarding history; tests). */
  async advanceHorizon(id: number): Promise<void> {
    await this.storage.transaction((tx) => this.store.raiseHorizon(tx, id));
    this.horizonCache = Math.max(this.horizonCache ?? 0, id);
  }

  async lastId(): Promise<number> {
    const [max, horizon] = [await this.store.maxId(), await this.horizon()];
    return Math.max(max, horizon);
  }

  refresh(): void {
    this.horizonCache = null;
  }

  flush(): Promise<void> {
    return this.queue.length || this.scheduled || this.draining ? this.idle : Promise.resolve();
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

  private createRetention(): Retention {
    const { store, storage, clock } = this;
    return {
      expire: async (now, limit, { whole, inside }) => {
        let maxId = 0;
        const rows = await storage.transaction(async (tx) => {
          const deleted: ExpiredRow[] = await store.deleteExpired(tx, now, limit, whole);
          if (!deleted.length) return deleted;
          if (inside) await inside(tx, deleted);
          for (const row of deleted) if (row.id > maxId) maxId = row.id;
          await store.raiseHorizon(tx, maxId);
          return deleted;
        });
        // Only once committed: a rolled-back sweep leaves the horizon where it was.
        if (maxId > (this.horizonCache ?? 0) && this.horizonCache !== null) this.horizonCache = maxId;
        return rows;
      },
      setExpiry: async (id, expiresAt) => {
        const now = clock.now();
        return (await store.setExpiry(id, expiresAt, now)) ? store.get(id, now) : null;
      },
      nextExpiry: () => store.earliestExpiry(clock.now()),
      oldestExpiry: () => store.earliestExpiry(null),
      count: (kind, limit) => store.countExpiring(kind, clock.now(), limit),
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (!this.draining) {
      this.idle = new Promise((resolve) => {
        this.markIdle = resolve;
      });
    }
    // Yield to the event loop once so concurrent requests join the same transaction.
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    // One drain at a time; the running one picks up what was queued meanwhile.
    if (this.draining) return;
    this.draining = true;
    try {
      // Held: the queue waits; release() schedules it again.
      while (this.queue.length && this.holds === 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.commit(batch);
        } catch (err) {
          if (batch.length === 1) {
            this.fail(batch[0], err);
            continue;
          }
          // One bad message (a hook that threw) must not fail the others: retry them one by one.
          for (const pending of batch) {
            try {
              await this.commit([pending]);
            } catch (single) {
              this.fail(pending, single);
            }
          }
        }
      }
    } finally {
      this.draining = false;
      if (!this.scheduled) this.markIdle();
    }
  }

  private fail(pending: Pending, err: unknown): void {
    this.log.error({ err, type: pending.draft.input.type }, 'message commit failed');
    const fault = storageFault(err);
    pending.reject(
      err instanceof HubError
        ? err
        : isStorageUnavailable(err)
          ? new HubError('RELAYKIT_ERR_STORAGE_UNAVAILABLE')
          : fault
            ? storageFaultError(fault)
            : new HubError('RELAYKIT_ERR_INTERNAL', 'The message could not be stored'),
    );
  }

  private async commit(batch: Pending[]): Promise<void> {
    const hooks = this.hooks();
    const stored = await this.storage.transaction(async (tx) => {
      const ids = await this.store.insert(
        tx,
        batch.map(({ draft, payload }) => ({
          from: draft.input.from ?? null,
          to: draft.input.to ?? null,
          channel: draft.input.channel ?? null,
          type: draft.input.type,
          payload,
          createdAt: draft.createdAt,
          expiresAt: draft.expiresAt,
        })),
      );
      const messages = batch.map(
        ({ draft }, i): Message => ({
          id: ids[i],
          from: draft.input.from ?? null,
          to: draft.input.to ?? null,
          channel: draft.input.channel ?? null,
          type: draft.input.type,
          payload: draft.input.payload ?? null,
          createdAt: new Date(draft.createdAt).toISOString(),
          expiresAt: draft.expiresAt === null ? null : new Date(draft.expiresAt).toISOString(),
          deliveredAt: null,
        }),
      );
      for (const hook of hooks) await hook.afterInsert?.(tx, messages);
      return messages;
    });
    this.metrics.groupCommitBatch.observe(batch.length);
    batch.forEach((pending, i) => {
      const message = stored[i];
      this.metrics.messagesPublished.inc({ type: this.typeLabel(message.type) });
      this.bus.publish('message.sent', message);
      pending.resolve(message);
    });
  }
}

/** Distinct message-type labels kept by name; later ones count as `other`. */
const MAX_TYPE_LABELS = 100;

/**
 * Message types are user-supplied: the label is their first segment, for at most
 * MAX_TYPE_LABELS distinct segments (then `other`), so the registry stays bounded.
 */
function typeLabeler(): (type: string) => string {
  const bounded = boundedLabel(MAX_TYPE_LABELS);
  return function typeLabel(type: string): string {
    const head = type.split(/[.:/]/, 1)[0];
    return head.length <= 32 ? bounded(head) : 'other';
  };
}
