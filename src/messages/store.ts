import type { RowGuard, Tx } from '../storage/storage.ts';
import type { EncodedMessage } from './encode.ts';
import type { MessageRow, NewMessageRow } from './schema.ts';
import type { Message } from './types.ts';

/** Filters for `GET /messages`: every given filter must match. */
export interface ListQuery {
  client?: string;
  channel?: string;
  type?: string;
  after?: number;
  limit: number;
  /**
   * Most payload characters the page may hold (limits.maxPageBytes): the page stops
   * before the message that would go over it, but always holds at least one message.
   */
  maxBytes?: number;
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

/** How `insertCommitted` commits a batch. */
export interface CommitOptions {
  /** The channel the batch is announced on (`first:last`) when it commits. */
  announce?: string;
  /** Rows that must hold their expected values for the batch to be written. */
  guards?: readonly RowGuard[];
}

/** Which expiring messages `countExpiring` counts: already due, or due later. */
export type ExpiryCount = 'due' | 'scheduled';

/**
 * The event log's tables (`messages`, `hub_meta`) behind the message core: every
 * statement the core runs, and nothing else. One implementation per store family;
 * test/contracts/message-store.contract.ts holds them to one behaviour.
 *
 * Contract:
 * - Reads never return a message whose `expiresAt` is at or before `now`.
 * - `insert` runs inside the caller's transaction and returns the new ids in row
 *   order. Ids ascend with commit order and are never reused (resume cursors).
 * - The horizon only moves forward.
 */
export interface MessageStore {
  insert(tx: Tx, rows: readonly NewMessageRow[]): Promise<number[]>;
  /**
   * `insert` in a transaction of its own: resolves once the rows are committed. With
   * `announce`, the same statement announces the batch on that channel (a store that
   * cannot must not be given one: see `LivePath.announceChannel`). With `guards`, the
   * rows are written only if every guard holds, checked in the same step (see
   * RowGuard); when one does not, nothing is written and it resolves with null.
   */
  insertCommitted(rows: readonly NewMessageRow[], options?: CommitOptions): Promise<number[] | null>;
  get(id: number, now: number): Promise<Message | null>;
  /**
   * `get` as the HTTP API sends it (see encode.ts): the JSON of the message and the fields
   * access is checked by. A store that reads synchronously (SQLite, with no transaction
   * open) answers without a Promise, so the hot read costs no turn of the microtask queue.
   */
  getEncoded(id: number, now: number): EncodedMessage | null | Promise<EncodedMessage | null>;
  list(query: ListQuery, now: number): Promise<Message[]>;
  replay(query: ReplayQuery, now: number): Promise<Message[]>;
  /** Marks a live, undelivered message delivered; null when there is none such. */
  markDelivered(id: number, by: string | null, now: number): Promise<Message | null>;
  /** The highest id ever committed (0 when none). */
  maxId(): Promise<number>;
  horizon(): Promise<number>;
  /** Raises the horizon to `id` inside `tx` (never lowers it). */
  raiseHorizon(tx: Tx, id: number): Promise<void>;

  // Retention (owned by the core: see Retention in retention.ts).

  /**
   * Deletes up to `limit` messages expired at `now` (oldest expiry first) inside `tx`
   * and returns them: whole rows when `whole`, else only `id` and `type` filled in.
   */
  deleteExpired(tx: Tx, now: number, limit: number, whole: boolean): Promise<ExpiredRow[]>;
  /** Sets the expiry of a message that has not expired; returns whether one changed. */
  setExpiry(id: number, expiresAt: number | null, now: number): Promise<boolean>;
  /** The earliest expiry after `now`, or with `now` null the earliest of all; null when none. */
  earliestExpiry(after: number | null): Promise<number | null>;
  /** Counts expiring messages, stopping at `limit` (cheap on huge tables). */
  countExpiring(kind: ExpiryCount, now: number, limit: number): Promise<number>;

  // Idempotency keys (`Idempotency-Key` on POST /messages).

  /** The live (unexpired at `now`) record of a key, or null. */
  findKey(scope: string, key: string, now: number): Promise<IdempotencyRecord | null>;
  /**
   * Claims keys inside `tx`: a key not held, or held by a record expired at `now`, is
   * taken (until `expiresAt`, message id unset) and returned; a key held by a live
   * record is left alone and not returned. On PostgreSQL a claim another open
   * transaction holds waits for it to end. Claims are taken in the order given: pass
   * them sorted so concurrent batches lock keys in one order.
   */
  claimKeys(tx: Tx, claims: readonly IdempotencyClaim[], now: number, expiresAt: number): Promise<IdempotencyClaim[]>;
  /** The records of keys inside `tx` (those `claimKeys` did not take), by `scope` + NUL + `key`. */
  readKeys(tx: Tx, claims: readonly IdempotencyClaim[]): Promise<Map<string, IdempotencyRecord>>;
  /** Sets the message each key created, inside the claiming `tx`. */
  bindKeys(tx: Tx, bound: ReadonlyArray<{ scope: string; key: string; messageId: number }>): Promise<void>;
  /** Deletes up to `limit` records expired at `now`; returns how many. */
  purgeKeys(now: number, limit: number): Promise<number>;
}

/** How claims and records are keyed in maps. */
export function claimId(claim: { scope: string; key: string }): string {
  return `${claim.scope}\u0000${claim.key}`;
}

/** An `Idempotency-Key` a message of a batch claims. */
export interface IdempotencyClaim {
  /** Whose key it is: keys of different callers never collide. */
  scope: string;
  key: string;
  /** Hash of the request, so a retry with another body is told apart. */
  fingerprint: string;
}

/** A key already claimed: the request that claimed it and the message it created. */
export interface IdempotencyRecord {
  fingerprint: string;
  messageId: number | null;
}

/** A deleted message: the whole stored row (payload as JSON text), or only its id and type. */
export type ExpiredRow = MessageRow;
