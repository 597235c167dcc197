import { setImmediate } from 'node:timers';
import type { Clock } from '../kernel/clock.ts';
import { HubError } from '../kernel/errors.ts';
import type { Logger } from '../kernel/logger.ts';
import { nodeCrypto } from '../kernel/node-crypto.ts';
import type { Tx } from '../storage/storage.ts';
import { claimId, type IdempotencyClaim, type IdempotencyRecord, type MessageStore } from './store.ts';
import type { Message, MessageInput } from './types.ts';

/** Whose key it is (`scope`: the caller's identity) and the key itself. */
export interface IdempotencyKey {
  scope: string;
  key: string;
}

/** How long idempotency keys are kept by default (24 h). */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Expired idempotency keys are purged at most this often (after commits that claim keys). */
const KEY_PURGE_EVERY_MS = 60_000;
/** How many expired idempotency keys one purge statement deletes. */
const KEY_PURGE_BATCH = 1000;

/** What a batch's claim decided for a message whose key was already held. */
type Replay = { leader: number } | { record: IdempotencyRecord };

/**
 * The messages of a batch that must not be stored, by index in the batch: their key is
 * held by a committed record (another node, an earlier batch) or by an earlier message
 * of the same batch (its leader).
 */
export type HeldKeys = ReadonlyMap<number, Replay>;

/** A message of a batch, as far as its key goes. */
interface Claiming {
  claim?: IdempotencyClaim;
}

/**
 * `Idempotency-Key` handling for the message core: claims are taken inside the
 * transaction that stores the messages (so concurrent retries on any node agree), and a
 * message whose key was held is answered from the record that holds it. Expired keys
 * are purged after commits that claim keys, at most once a minute.
 */
export class IdempotencyKeys {
  /** When keys were last purged (clock ms). */
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: MessageStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** How long a key is remembered (read at every claim: config reloads apply). */
    private readonly windowMs: () => number = () => DEFAULT_IDEMPOTENCY_WINDOW_MS,
  ) {}

  /** The claim a request makes: its key, and the fingerprint that tells a retry from a reuse. */
  claimOf(input: MessageInput, key: IdempotencyKey): IdempotencyClaim {
    return { ...key, fingerprint: fingerprint(input) };
  }

  /** The committed record holding the claim's key, or null (read outside any commit). */
  find(claim: IdempotencyClaim): Promise<IdempotencyRecord | null> {
    return this.store.findKey(claim.scope, claim.key, this.clock.now());
  }

  /**
   * The message a retry whose key is held by `record` is answered with. Throws
   * RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED when the key was used for another request, and
   * RELAYKIT_ERR_IDEMPOTENT_MESSAGE_GONE when its message has expired or been removed.
   */
  async replayOf(claim: IdempotencyClaim, record: IdempotencyRecord): Promise<Message> {
    if (record.fingerprint !== claim.fingerprint) {
      throw new HubError(
        'RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key "${claim.key}" was already used for a different request; use a new key for a new message`,
      );
    }
    const message = record.messageId === null ? null : await this.store.get(record.messageId, this.clock.now());
    if (!message) {
      throw new HubError(
        'RELAYKIT_ERR_IDEMPOTENT_MESSAGE_GONE',
        `The message Idempotency-Key "${claim.key}" stored (id ${record.messageId}) has expired or was removed`,
      );
    }
    return message;
  }

  /**
   * Claims the batch's keys inside its transaction. Returns the messages that must not
   * be stored (see HeldKeys); the others store their message and `bind` their key to it
   * in the same transaction.
   */
  async claim(tx: Tx, batch: readonly Claiming[], now: number): Promise<HeldKeys> {
    const replays = new Map<number, Replay>();
    const leaders = new Map<string, number>();
    const claims: IdempotencyClaim[] = [];
    batch.forEach(({ claim }, i) => {
      if (!claim) return;
      const id = claimId(claim);
      const leader = leaders.get(id);
      if (leader !== undefined) replays.set(i, { leader });
      else {
        leaders.set(id, i);
        claims.push(claim);
      }
    });
    if (!claims.length) return replays;
    // One lock order for every batch in the cluster: no deadlock between two batches' claims.
    claims.sort((a, b) => (claimId(a) < claimId(b) ? -1 : 1));
    const won = new Set((await this.store.claimKeys(tx, claims, now, now + this.windowMs())).map(claimId));
    if (now - this.lastPurge >= KEY_PURGE_EVERY_MS) {
      this.lastPurge = now;
      // After this transaction: the purge runs on its own, off the commit path.
      setImmediate(() => void this.purgeExpired());
    }
    const lost = claims.filter((c) => !won.has(claimId(c)));
    if (!lost.length) return replays;
    const records = await this.store.readKeys(tx, lost);
    for (const claim of lost) {
      const record = records.get(claimId(claim));
      if (!record) throw new Error(`idempotency key ${claim.key} is neither free nor held`);
      replays.set(leaders.get(claimId(claim)) as number, { record });
    }
    return replays;
  }

  /** Sets the message each claimed key created, inside the claiming `tx`. */
  async bind(tx: Tx, bound: ReadonlyArray<{ scope: string; key: string; messageId: number }>): Promise<void> {
    if (bound.length) await this.store.bindKeys(tx, bound);
  }

  /**
   * The record that answers message `i` of a committed batch, one of `held`. A retry
   * that came in the same batch as its leader is answered from the leader: the message
   * the leader stored (`storedId`), or the record that held the leader's key.
   */
  heldRecord(
    batch: readonly Claiming[],
    held: HeldKeys,
    i: number,
    storedId: (leader: number) => number | undefined,
  ): IdempotencyRecord {
    const replay = held.get(i) as Replay;
    if ('record' in replay) return replay.record;
    const first = storedId(replay.leader);
    return first !== undefined
      ? { fingerprint: (batch[replay.leader].claim as IdempotencyClaim).fingerprint, messageId: first }
      : (held.get(replay.leader) as { record: IdempotencyRecord }).record;
  }

  /**
   * Deletes idempotency keys whose window is over, in bounded batches; returns how many.
   * Runs after commits that claimed keys (at most once a minute, no timer: with no keyed
   * traffic nothing new accumulates); any node may, deletes are idempotent.
   */
  async purgeExpired(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await this.store.purgeKeys(this.clock.now(), KEY_PURGE_BATCH);
        total += n;
        if (n < KEY_PURGE_BATCH) return total;
      }
    } catch (err) {
      this.log.error({ err }, 'expired idempotency keys could not be purged');
      return total;
    }
  }
}

/** What makes two requests "the same" for an idempotency key: the message as it would be stored. */
function fingerprint(input: MessageInput): string {
  const { from, to, channel, type, payload, ttl } = input;
  return nodeCrypto()
    .createHash('sha256')
    .update(JSON.stringify([from ?? null, to ?? null, channel ?? null, type, payload ?? null, ttl ?? null]))
    .digest('base64url');
}
