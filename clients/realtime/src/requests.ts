import { globalTimers, type Timers } from './backoff.ts';
import { RealtimeError } from './handlers.ts';
import type { ServerFrame } from './protocol.ts';

interface Pending {
  resolve(frame: ServerFrame): void;
  reject(error: RealtimeError): void;
  timer: unknown;
}

/**
 * Requests waiting for the frame that echoes their id. An `error` reply rejects with
 * the hub's code; a lost connection or a timeout rejects with the client's own.
 */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();
  private next = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly timers: Timers = globalTimers,
  ) {}

  /** A fresh request id and the promise of its reply. */
  open(what: string): { id: string; reply: Promise<ServerFrame> } {
    const id = `c${++this.next}`;
    const reply = new Promise<ServerFrame>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new RealtimeError('RELAYKIT_CLIENT_TIMEOUT', `No reply to ${what} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    return { id, reply };
  }

  /** Settles the request `frame` answers; false when no request has its id. */
  settle(frame: ServerFrame): boolean {
    const id = frame.id === undefined ? undefined : String(frame.id);
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) return false;
    this.pending.delete(id);
    this.timers.clearTimeout(pending.timer);
    if (frame.type === 'error') pending.reject(new RealtimeError(frame.code, frame.message, frame.details));
    else pending.resolve(frame);
    return true;
  }

  /** Rejects every waiting request (the connection is gone). */
  failAll(error: RealtimeError): void {
    for (const pending of this.pending.values()) {
      this.timers.clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
