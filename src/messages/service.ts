import { setImmediate } from 'node:timers';
import type { EventBus } from '../kernel/bus.ts';
import type { Clock } from '../kernel/clock.ts';
import { HubError, storageFaultError } from '../kernel/errors.ts';
import { assertFaithfulJson } from '../kernel/json-guard.ts';
import type { Logger } from '../kernel/logger.ts';
import { boundedLabel, type CoreMetrics } from '../kernel/metrics.ts';
import { storageFault } from '../storage/faults.ts';
import { isStorageUnavailable } from '../storage/postgres/errors.ts';
import type { RowGuard, Storage, Tx } from '../storage/storage.ts';
import { type EncodedMessage, withPayloadText } from './encode.ts';
import { DEFAULT_IDEMPOTENCY_WINDOW_MS, type IdempotencyKey, IdempotencyKeys } from './idempotency.ts';
import type { LivePath } from './live.ts';
import type { Retention } from './retention.ts';
import type { NewMessageRow } from './schema.ts';
import type { ExpiredRow, IdempotencyClaim, ListQuery, MessageStore, ReplayQuery } from './store.ts';
import type { Message, MessageDraft, MessageInput } from './types.ts';

export { DEFAULT_IDEMPOTENCY_WINDOW_MS, type IdempotencyKey } from './idempotency.ts';
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
  /**
   * Whether `afterInsert` has anything to write for this batch (asked just before the
   * commit, synchronously: it is on every batch's path, so answer from memory). When
   * every hook with an `afterInsert` answers false (and nothing else needs the
   * transaction: no idempotency key, no in-commit live path), the batch commits in one
   * statement without an explicit transaction (on PostgreSQL one round trip instead of
   * three) and `afterInsert` is not called for it. Without it, a hook always gets its
   * transaction.
   */
  writesAfterInsert?(drafts: readonly MessageDraft[]): boolean;
  /**
   * When other nodes can change what `writesAfterInsert` answered from (a per-node
   * cache over a shared database), the row that versions it, asked right after it: the
   * store checks the guard in the statement that commits the batch. If it no longer
   * holds, nothing is committed and the batch takes the transaction, with `afterInsert`
   * (which sees the change). Null when the answer cannot go stale (one node).
   */
  skipGuard?(): RowGuard | null;
  /**
   * Runs once the transaction `afterInsert` wrote in has committed, with the same
   * `messages` array `afterInsert` received (not called when it rolled back). Work that
   * must see the committed rows starts here, never in `afterInsert`: on PostgreSQL
   * another connection does not see them until the commit (the webhooks worker is woken
   * here, not before). Synchronous; what it throws is logged.
   */
  afterCommit?(messages: readonly Message[]): void;
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
  /**
   * `send` under an idempotency key: the first request with a key stores the message;
   * a later one with the same key and the same input, within the window and on any
   * node, resolves with that message (`replayed`) and stores nothing. The same key with
   * another input is refused (RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED). Safe under
   * concurrent retries: the key is claimed in the message's own transaction.
   */
  sendOnce(input: MessageInput, key: IdempotencyKey): Promise<SendResult>;
  /** The message, unless it does not exist or has expired. */
  get(id: number): Promise<Message | null>;
  /** `get` as the HTTP API sends it: the message's JSON, and the fields access is checked by (at once when the store can). */
  getEncoded(id: number): EncodedMessage | null | Promise<EncodedMessage | null>;
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
  /**
   * The highest id this node has published as `message.sent` (its live path). In a
   * cluster it can trail `lastId()` by what is still on its way from other nodes:
   * a resume goes live only once the live path has passed what it read.
   */
  published(): number;
  /** Resolves once `published()` has reached `id` (or soon after, to re-check). */
  settled(id: number): Promise<void>;
  /** Expiry, extension and removal of messages: the only way to change the log's retention. */
  readonly retention: Retention;
  /**
   * Forgets what this node caches about the shared log (the retention horizon), so the
   * next read goes to the database. Call it when another node may have changed it.
   */
  refresh(): void;
}

export interface SendResult {
  message: Message;
  /** True when the key had already stored this message (nothing new was stored). */
  replayed: boolean;
}

interface Pending {
  draft: MessageDraft;
  payload: string;
  claim?: IdempotencyClaim;
  resolve(result: SendResult): void;
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
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly storage: Storage,
    private readonly store: MessageStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly metrics: CoreMetrics,
    private readonly log: Logger,
    private readonly hooks: () => readonly MessageHooks[],
    private readonly maxBatch: number,
    /** Where committed messages go: straight to the bus, or through the cluster's ordered feed. */
    private readonly live: LivePath,
    /** How long an idempotency key is remembered (read at every claim: config reloads apply). */
    idempotencyWindowMs: () => number = () => DEFAULT_IDEMPOTENCY_WINDOW_MS,
  ) {
    this.retention = this.createRetention();
    this.keys = new IdempotencyKeys(store, clock, log, idempotencyWindowMs);
  }

  async send(input: MessageInput): Promise<Message> {
    return (await this.enqueue(input)).message;
  }

  async sendOnce(input: MessageInput, key: IdempotencyKey): Promise<SendResult> {
    assertFaithfulJson(input.payload);
    const claim = this.keys.claimOf(input, key);
    // Most retries find the key committed already: answer them without joining a commit.
    const record = await this.keys.find(claim);
    if (record) return { message: await this.keys.replayOf(claim, record), replayed: true };
    return this.enqueue(input, claim);
  }

  private async enqueue(input: MessageInput, claim?: IdempotencyClaim): Promise<SendResult> {
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
    return new Promise<SendResult>((resolve, reject) => {
      this.queue.push({ draft, payload, claim, resolve, reject });
      this.schedule();
    });
  }

  get(id: number): Promise<Message | null> {
    return this.store.get(id, this.clock.now());
  }

  getEncoded(id: number): EncodedMessage | null | Promise<EncodedMessage | null> {
    return this.store.getEncoded(id, this.clock.now());
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

  published(): number {
    return this.live.published();
  }

  settled(id: number): Promise<void> {
    return this.live.settled(id);
  }

  /** Deletes the idempotency keys whose window is over now, instead of after the next keyed commit; returns how many. */
  purgeExpiredKeys(): Promise<number> {
    return this.keys.purgeExpired();
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
    if (await this.commitAlone(batch, hooks)) return;
    const now = this.clock.now();
    const { stored, replays, messages } = await this.storage.transaction(async (tx) => {
      const replays = await this.keys.claim(tx, batch, now);
      const fresh = batch.filter((_, i) => !replays.has(i));
      const ids = !fresh.length ? [] : await this.store.insert(tx, fresh.map(rowOf));
      const messages = fresh.map((pending, i) => messageOf(pending, ids[i]));
      await this.keys.bind(
        tx,
        fresh.flatMap(({ claim }, i) => (claim ? [{ ...claim, messageId: ids[i] }] : [])),
      );
      if (messages.length) {
        for (const hook of hooks) await hook.afterInsert?.(tx, messages);
        await this.live.inCommit?.(tx, messages);
      }
      const stored = new Map<Pending, Message>();
      for (const [i, pending] of fresh.entries()) stored.set(pending, messages[i]);
      return { stored, replays, messages };
    });
    if (messages.length) {
      for (const hook of hooks) {
        try {
          hook.afterCommit?.(messages);
        } catch (err) {
          this.log.error({ err }, 'a message hook failed after a commit');
        }
      }
    }
    if (stored.size) {
      this.metrics.groupCommitBatch.observe(stored.size);
      // Counted where committed (once per cluster); `message.sent` is published on every node by its live path.
      for (const message of messages) this.metrics.messagesPublished.inc({ type: this.typeLabel(message.type) });
      this.live.committed(messages);
    }
    batch.forEach((pending, i) => {
      const message = stored.get(pending);
      if (message) {
        pending.resolve({ message, replayed: false });
        return;
      }
      // Its key was held: answered from the record (or the same batch's leader) that holds it.
      const record = this.keys.heldRecord(batch, replays, i, (leader) => stored.get(batch[leader])?.id);
      this.keys
        .replayOf(pending.claim as IdempotencyClaim, record)
        .then((message) => pending.resolve({ message, replayed: true }), pending.reject);
    });
  }

  /**
   * Commits a batch that needs no transaction of its own (no idempotency key, no
   * in-commit live path, no hook with anything to write, as long as the hooks' guards
   * hold) as one statement; returns false, committing nothing, when the batch needs the
   * full transaction.
   */
  private async commitAlone(batch: readonly Pending[], hooks: readonly MessageHooks[]): Promise<boolean> {
    const { announceChannel } = this.live;
    if ((this.live.inCommit && announceChannel === undefined) || batch.some((pending) => pending.claim)) return false;
    const drafts = batch.map((pending) => pending.draft);
    const guards: RowGuard[] = [];
    for (const hook of hooks) {
      if (!hook.afterInsert) continue;
      if (!hook.writesAfterInsert || hook.writesAfterInsert(drafts)) return false;
      const guard = hook.skipGuard?.();
      if (guard) guards.push(guard);
    }
    const ids = await this.store.insertCommitted(batch.map(rowOf), { announce: announceChannel, guards });
    // A guard no longer held (another node changed what a hook answered from): nothing was committed.
    if (!ids) return false;
    const messages = batch.map((pending, i) => messageOf(pending, ids[i]));
    this.metrics.groupCommitBatch.observe(messages.length);
    for (const message of messages) this.metrics.messagesPublished.inc({ type: this.typeLabel(message.type) });
    this.live.committed(messages);
    for (const [i, pending] of batch.entries()) pending.resolve({ message: messages[i], replayed: false });
    return true;
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

/** The row a pending message is stored as (its payload already serialized once). */
function rowOf({ draft, payload }: Pending): NewMessageRow {
  return {
    from: draft.input.from ?? null,
    to: draft.input.to ?? null,
    channel: draft.input.channel ?? null,
    type: draft.input.type,
    payload,
    createdAt: draft.createdAt,
    expiresAt: draft.expiresAt,
  };
}

/**
 * The message a stored draft became, as the API and the realtime plugins show it. Its
 * payload's JSON text is the one just stored: the HTTP answer reuses it (encode.ts).
 */
function messageOf({ draft, payload }: Pending, id: number): Message {
  return withPayloadText(
    {
      id,
      from: draft.input.from ?? null,
      to: draft.input.to ?? null,
      channel: draft.input.channel ?? null,
      type: draft.input.type,
      payload: draft.input.payload ?? null,
      createdAt: new Date(draft.createdAt).toISOString(),
      expiresAt: draft.expiresAt === null ? null : new Date(draft.expiresAt).toISOString(),
      deliveredAt: null,
    },
    payload,
  );
}
