import type { Counter } from 'prom-client';
import type { LimitsConfig } from '../config/schema.ts';
import type { ClientAccess } from './access.ts';
import type { Clock } from './clock.ts';
import { ConnectionCaps } from './connections.ts';
import { HubError } from './errors.ts';

/** Why a caller was held back (the `reason` label of relaykit_rate_limited_total). */
export type RateLimitReason = 'messages' | 'bytes' | 'connections';

interface Bucket {
  messages: number;
  bytes: number;
  at: number;
}

/** Most identities tracked at once; the least recently seen are forgotten first (they start full again). */
const MAX_TRACKED = 50_000;

/**
 * Per-identity quotas on publishing: token buckets of messages and bytes per second,
 * keyed by who the caller is (`key:<name>`, `jwt:<sub>`) or, for anonymous callers,
 * their IP. Time comes from the injectable clock. Admin callers are not limited.
 */
export class Quotas {
  private readonly buckets = new Map<string, Bucket>();
  /** Caps on open WebSockets and streams per identity and per IP. */
  readonly connections: ConnectionCaps;

  constructor(
    private readonly config: () => LimitsConfig,
    private readonly clock: Clock,
    private readonly limited: Counter<'reason'>,
  ) {
    this.connections = new ConnectionCaps(config, limited);
  }

  /**
   * Admits one message from `access` (at `remoteAddress`): its payload must fit
   * `maxPayloadBytes` (422), and unless the caller is admin it is charged to the
   * caller's identity, or its IP when anonymous (429 with Retry-After when over).
   * `remoteAddress` may be a function: it is then asked only for an anonymous caller
   * (looking an address up costs the HTTP path a native call per request).
   */
  admitMessage(access: ClientAccess, remoteAddress: string | (() => string), payload: unknown): void {
    const bytes = payloadSize(payload, this.config().maxPayloadBytes);
    if (access.admin) return;
    const subject = access.subject ?? `ip:${typeof remoteAddress === 'function' ? remoteAddress() : remoteAddress}`;
    this.chargeMessage(subject, bytes);
  }

  /**
   * Charges one message of `bytes` to `subject`. Throws a 429 HubError with
   * `Retry-After` when either bucket is empty (nothing is charged then).
   */
  chargeMessage(subject: string, bytes: number): void {
    const { messagesPerSecond, messageBurst, bytesPerSecond, byteBurst } = this.config();
    const now = this.clock.now();
    const bucket = this.refill(subject, now, messageBurst, byteBurst, messagesPerSecond, bytesPerSecond);
    if (bucket.messages < 1) this.refuse('messages', (1 - bucket.messages) / messagesPerSecond);
    if (bucket.bytes < bytes) {
      // A message larger than the burst could never pass: maxPayloadBytes keeps it below.
      this.refuse('bytes', (bytes - bucket.bytes) / bytesPerSecond);
    }
    bucket.messages -= 1;
    bucket.bytes -= bytes;
  }

  /** Identities currently tracked (for `GET /admin/limits`). */
  get tracked(): number {
    return this.buckets.size;
  }

  private refill(
    subject: string,
    now: number,
    messageBurst: number,
    byteBurst: number,
    messagesPerSecond: number,
    bytesPerSecond: number,
  ): Bucket {
    let bucket = this.buckets.get(subject);
    if (bucket) {
      this.buckets.delete(subject);
      const seconds = Math.max(0, now - bucket.at) / 1000;
      bucket.messages = Math.min(messageBurst, bucket.messages + seconds * messagesPerSecond);
      bucket.bytes = Math.min(byteBurst, bucket.bytes + seconds * bytesPerSecond);
      bucket.at = now;
    } else {
      bucket = { messages: messageBurst, bytes: byteBurst, at: now };
      if (this.buckets.size >= MAX_TRACKED) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    // Re-inserted: the map's order is least recently seen first.
    this.buckets.set(subject, bucket);
    return bucket;
  }

  private refuse(reason: RateLimitReason, seconds: number): never {
    this.limited.inc({ reason });
    const retryAfter = Math.max(1, Math.ceil(seconds));
    throw new HubError(
      'RELAYKIT_ERR_RATE_LIMITED',
      `Over the ${reason === 'messages' ? 'messages' : 'bytes'} per second quota of this caller; retry in ${retryAfter} s`,
      { reason, retryAfterSeconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  }
}

/** The payload's size as stored, refused with 422 over `maxPayloadBytes`. */
export function payloadSize(payload: unknown, maxPayloadBytes: number): number {
  const bytes = Buffer.byteLength(JSON.stringify(payload ?? null));
  if (bytes > maxPayloadBytes) {
    throw new HubError(
      'RELAYKIT_ERR_PAYLOAD_TOO_LARGE',
      `The payload is ${bytes} bytes; the most a message may carry is ${maxPayloadBytes} (limits.maxPayloadBytes)`,
    );
  }
  return bytes;
}
