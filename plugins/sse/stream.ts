import type { Resume } from '../../src/messages/resume.ts';
import type { Message } from '../../src/messages/types.ts';

/** Why a stream ended (the `reason` of `client.disconnected`). */
export type CloseReason =
  | 'client'
  | 'slow_consumer'
  | 'restart'
  | 'disabled'
  | 'shutdown'
  | 'token_expired'
  | 'error'
  /** `DELETE /stream/clients/{clientId}`. */
  | 'operator';

/** What a stream receives, fixed when it connects. */
export interface StreamFilter {
  /** The client's id: messages addressed `to` it reach the stream. */
  readonly clientId: string;
  /** Ordinary channels (the broadcast channel included). */
  readonly channels: readonly string[];
  /** Every message whatever its channel or recipient (`channels=*`, admin only). */
  readonly all: boolean;
  /** Event-name patterns of the `$hub:` channels it asked for (`plugin.*`). */
  readonly system: readonly string[];
  /** Only these message types (and system event names); null for every type. */
  readonly types: ReadonlySet<string> | null;
}

export interface StreamInfo extends StreamFilter {
  readonly id: number;
  readonly via: 'anonymous' | 'jwt' | 'key' | 'admin';
  readonly connectedAt: number;
  /** The Last-Event-ID it resumed from, or null for a fresh stream. */
  readonly resumedFrom: number | null;
}

export interface StreamLimits {
  /** Bytes the stream may hold for its client before it is closed as a slow consumer. */
  maxQueueBytes: number;
  /** Bytes below which the runtime asks for more (replay pages wait for it). */
  highWaterMark: number;
  /** A ByteLengthQueuingStrategy of `highWaterMark`, shared by every stream. */
  strategy: QueuingStrategy<Uint8Array>;
}

/**
 * One open event stream: a web-standard ReadableStream of bytes with a bounded
 * queue. Chunks are enqueued as they come; the runtime reads them as fast as the
 * socket takes them, so the queue only grows when the client is slow. Past
 * `maxQueueBytes` the stream is failed (never trimmed): the client reconnects with
 * Last-Event-ID and resumes from the event log.
 *
 * While it catches up from the database, live messages go to its `resume` (the
 * shared resume engine holds them); afterwards the stream delivers only those newer
 * than what it already sent (`cursor`), so a resume has no gap and no duplicate.
 *
 * The stream is its own underlying source (`start`, `pull`, `cancel`), so an idle stream
 * costs a handful of objects, not a set of closures.
 */
export class SseStream implements UnderlyingDefaultSource<Uint8Array> {
  readonly body: ReadableStream<Uint8Array>;
  /** Highest message id written to this stream. */
  cursor: number;
  /** Events written (messages and system events). */
  delivered = 0;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private state: 'catching-up' | 'live' | 'closed' = 'catching-up';
  /** The resume in progress while catching up: it holds the live messages. */
  resume: Resume | null = null;
  /** Frees the stream's slot under the per-identity and per-IP connection caps. */
  releaseSlot: (() => void) | null = null;
  private waiters: Array<() => void> | null = null;
  private cancelTimer: (() => void) | null = null;

  constructor(
    readonly info: StreamInfo,
    private readonly limits: StreamLimits,
    private readonly onClosed: (stream: SseStream, reason: CloseReason) => void,
  ) {
    this.cursor = info.resumedFrom ?? 0;
    this.body = new ReadableStream<Uint8Array>(this, limits.strategy);
  }

  /** Underlying source: the runtime hands over the controller. */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
  }

  /** Underlying source: the client took data and wants more. */
  pull(): void {
    this.wake();
  }

  /** Underlying source: the client went away. */
  cancel(): void {
    this.finish('client');
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get live(): boolean {
    return this.state === 'live';
  }

  /** Bytes enqueued that the client has not taken yet. */
  queuedBytes(): number {
    if (this.state === 'closed') return 0;
    return Math.max(0, this.limits.highWaterMark - (this.controller.desiredSize ?? this.limits.highWaterMark));
  }

  /**
   * Enqueues one chunk. When the queue would pass `maxQueueBytes` the stream fails as a
   * slow consumer instead; an event larger than the limit still goes out on an empty queue.
   */
  write(chunk: Uint8Array): boolean {
    if (this.state === 'closed') return false;
    const queued = this.queuedBytes();
    if (queued > 0 && queued + chunk.byteLength > this.limits.maxQueueBytes) {
      this.fail('slow_consumer');
      return false;
    }
    this.controller.enqueue(chunk);
    return true;
  }

  /** Writes a message read from the database during catch-up. */
  writeReplayed(message: Message, chunk: Uint8Array): boolean {
    if (message.id <= this.cursor) return true;
    this.cursor = message.id;
    this.delivered++;
    return this.write(chunk);
  }

  /** Writes a live message, or holds it back while catching up. Returns whether it was written now. */
  deliver(message: Message, chunk: Uint8Array): boolean {
    if (this.state === 'catching-up') {
      this.resume?.offer(message);
      return false;
    }
    if (this.state === 'closed' || message.id <= this.cursor) return false;
    this.cursor = message.id;
    this.delivered++;
    return this.write(chunk);
  }

  /** Writes a system event (not in the event log: no cursor, no hold). */
  deliverSystem(chunk: Uint8Array): boolean {
    if (this.state === 'closed') return false;
    this.delivered++;
    return this.write(chunk);
  }

  /** Ends catch-up (the resume engine has flushed what it held): live messages go out directly. */
  goLive(): void {
    if (this.state !== 'catching-up') return;
    this.state = 'live';
    this.resume = null;
  }

  /**
   * Resolves once `bytes` more can be enqueued without pushing the queue past its high-water
   * mark (or past the limit, for an event larger than that), or when the stream closed.
   * The runtime's reads wake it (`pull`).
   */
  async waitForRoom(bytes: number): Promise<void> {
    while (!this.hasRoom(bytes)) {
      await new Promise<void>((resolve) => {
        this.waiters ??= [];
        this.waiters.push(resolve);
      });
    }
  }

  /** Whether `bytes` more fit now (see `waitForRoom`). */
  hasRoom(bytes: number): boolean {
    if (this.state === 'closed') return true;
    const queued = this.queuedBytes();
    return queued === 0 || (queued < this.limits.highWaterMark && queued + bytes <= this.limits.maxQueueBytes);
  }

  /** Ends the stream at a given time (the token's expiry), through the clock's cancel function. */
  endAt(cancel: () => void): void {
    this.cancelTimer = cancel;
  }

  /** Ends the stream cleanly: what is queued still reaches the client, then it reconnects. */
  end(reason: CloseReason): void {
    if (this.state === 'closed') return;
    try {
      this.controller.close();
    } catch {
      // Already errored by the runtime: nothing left to flush.
    }
    this.finish(reason);
  }

  /** Aborts the stream at once, dropping its queue (the client resumes by Last-Event-ID). */
  fail(reason: CloseReason): void {
    if (this.state === 'closed') return;
    try {
      this.controller.error(new Error(reason));
    } catch {
      // Already closed by the runtime.
    }
    this.finish(reason);
  }

  private finish(reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.resume = null;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.wake();
    this.onClosed(this, reason);
  }

  private wake(): void {
    if (!this.waiters) return;
    const waiters = this.waiters;
    this.waiters = null;
    for (const resolve of waiters) resolve();
  }
}
