import type { Tx } from '../storage/storage.ts';
import type { ExpiredRow, ExpiryCount } from './store.ts';
import type { Message } from './types.ts';

/**
 * Retention of the event log, owned by the message core: the only way to remove or
 * re-date messages. The ttl plugin drives it (policies, sweeps, archive); nothing
 * else writes the `messages` table.
 *
 * Every removal raises the retention horizon in the same transaction, so a resume
 * from before it is told it may have missed messages.
 */
export interface Retention {
  /**
   * Deletes up to `limit` messages expired at `now`, in one transaction that also
   * raises the horizon. `inside` runs in that transaction with the deleted rows (an
   * archive copy): when it throws, nothing is deleted.
   */
  expire(
    now: number,
    limit: number,
    options: { whole: boolean; inside?: (tx: Tx, rows: readonly ExpiredRow[]) => Promise<void> },
  ): Promise<ExpiredRow[]>;
  /**
   * Sets the expiry of a message that has not expired (null: never). Returns the
   * message as stored afterwards, or null when it does not exist or has expired.
   */
  setExpiry(id: number, expiresAt: number | null): Promise<Message | null>;
  /** The earliest expiry after now, or null. */
  nextExpiry(): Promise<number | null>;
  /** The earliest expiry of any stored message (due or not), or null. */
  oldestExpiry(): Promise<number | null>;
  /** Counts due (`expiresAt <= now`) or scheduled (later) messages, up to `limit`. */
  count(kind: ExpiryCount, limit: number): Promise<number>;
}
