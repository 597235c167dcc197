import type { Clock } from '../../src/kernel/clock.ts';
import type { PluginRuntime } from '../../src/kernel/plugin.ts';
import type { CachedEndpoint } from './endpoints.ts';
import { formatBody, formatHeaders } from './formats.ts';
import { type AddressGuard, UrlRefused } from './guard.ts';
import type { ClaimedDelivery } from './queue.ts';
import { honoursRetryAfter, parseRetryAfter } from './retry.ts';
import type { AttemptOutcome } from './schema.ts';
import { signature } from './signing.ts';

/** The most of a response body kept with an attempt. */
export const EXCERPT_BYTES = 4096;

/** What one attempt produced. */
export interface AttemptResult {
  /** Null when the attempt was cancelled by a stop: the delivery goes back to the outbox uncounted. */
  outcome: AttemptOutcome | null;
  status: number | null;
  error: string | null;
  excerpt: string | null;
  retryAfterSeconds: number | null;
  startedAt: number;
  durationMs: number;
}

const TIMED_OUT = Symbol('timeout');
const CANCELLED = Symbol('cancelled');

/**
 * Makes one HTTP attempt: checks the endpoint's address (SSRF guard), signs the body
 * and POSTs it to the checked address, bounded by the timeout (on the hub's clock).
 * `cancelAll` (a stopping worker) ends the attempts in flight as cancelled.
 *
 * One timer serves every attempt in flight: it is set for the earliest deadline, and
 * when it fires it aborts the attempts past theirs and is set again for the next. Under
 * load deadlines come in the order attempts start, so the timer is set about once per
 * timeout rather than once per attempt (a timer per attempt cost as much as signing).
 */
export class Sender {
  /** The attempts in flight and their deadlines, to time out and to cancel on stop. */
  private readonly inFlight = new Map<AbortController, number>();
  private timer: { at: number; cancel: () => void } | null = null;
  private cancelled = false;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly guard: AddressGuard,
    private readonly clock: Clock,
    private readonly userAgent: string,
  ) {}

  /** Cancels every attempt in flight, and any started later: they end with a null outcome. */
  cancelAll(): void {
    this.cancelled = true;
    for (const controller of this.inFlight.keys()) controller.abort(CANCELLED);
  }

  /** Sets the timer for `deadline` unless it is set for that or sooner already. */
  private arm(deadline: number): void {
    if (this.timer && this.timer.at <= deadline) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimeout(() => this.expire(deadline), Math.max(0, deadline - this.clock.now()));
    this.timer = { at: deadline, cancel };
  }

  /**
   * Aborts the attempts past their deadline, then waits for the next one (if any attempt
   * is left). The timer firing means `at` has come, even if the clock was set back since.
   */
  private expire(at: number): void {
    this.timer = null;
    const now = Math.max(this.clock.now(), at);
    let next = Number.POSITIVE_INFINITY;
    for (const [controller, deadline] of this.inFlight) {
      if (deadline <= now) controller.abort(TIMED_OUT);
      else next = Math.min(next, deadline);
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }

  /** Forgets an attempt that ended; the timer goes when nothing is left in flight. */
  private ended(controller: AbortController): void {
    this.inFlight.delete(controller);
    if (!this.inFlight.size && this.timer) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  async send(endpoint: CachedEndpoint, delivery: ClaimedDelivery, timeoutMs: number): Promise<AttemptResult> {
    const startedAt = this.clock.now();
    const started = performance.now();
    const controller = new AbortController();
    if (this.cancelled) controller.abort(CANCELLED);
    const deadline = startedAt + timeoutMs;
    this.inFlight.set(controller, deadline);
    this.arm(deadline);
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      const { url, format } = endpoint.row;
      const checked = this.guard.check(url);
      const address = typeof checked === 'string' ? checked : await abortable(checked, controller.signal);
      const body = formatBody(format, delivery.body);
      const now = this.clock.now();
      const timestamp = Math.floor(now / 1000);
      // One object, filled in order: a later header replaces an earlier one of the same name.
      const headers: Record<string, string> = { ...endpoint.row.headers };
      if (format === 'raw') Object.assign(headers, formatHeaders(format, delivery.body));
      headers['content-type'] = 'application/json';
      headers['user-agent'] = this.userAgent;
      headers['webhook-id'] = delivery.eventId;
      headers['webhook-timestamp'] = String(timestamp);
      headers['webhook-signature'] = signature(endpoint.keys(now), delivery.eventId, timestamp, body);
      const response = await this.runtime.fetchPinned(url, address, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      const excerpt = await readExcerpt(response);
      const { status } = response;
      if (status >= 200 && status < 300) return ended(startedAt, started, 'success', status, null, excerpt);
      const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
      const error =
        status >= 300 && status < 400
          ? `HTTP ${status}: redirects are not followed${location ? ` (to ${location.slice(0, 200)})` : ''}`
          : `HTTP ${status}`;
      const retryAfter = honoursRetryAfter(status)
        ? parseRetryAfter(response.headers.get('retry-after'), this.clock.now())
        : null;
      return ended(startedAt, started, 'http_error', status, error, excerpt, retryAfter);
    } catch (err) {
      const reason = controller.signal.reason;
      if (reason === CANCELLED) return ended(startedAt, started, null, null, 'cancelled', null);
      if (reason === TIMED_OUT) {
        return ended(startedAt, started, 'timeout', null, `no response within ${timeoutMs} ms`, null);
      }
      if (err instanceof UrlRefused) return ended(startedAt, started, 'refused', null, err.message, null);
      return ended(startedAt, started, 'network_error', null, describe(err), null);
    } finally {
      this.ended(controller);
    }
  }
}

/** An attempt's result, timed from `started` (`performance.now()` when it began). */
function ended(
  startedAt: number,
  started: number,
  outcome: AttemptOutcome | null,
  status: number | null,
  error: string | null,
  excerpt: string | null,
  retryAfterSeconds: number | null = null,
): AttemptResult {
  return {
    outcome,
    status,
    error,
    excerpt,
    retryAfterSeconds,
    startedAt,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Reads at most EXCERPT_BYTES of the body as text, then lets the rest go. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (size >= EXCERPT_BYTES) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  if (!size) return null;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, EXCERPT_BYTES));
}

/** Rejects when `signal` aborts (a DNS lookup cannot be cancelled, but the attempt need not wait for it). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = (e.message ?? String(err)).slice(0, 500);
  return e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}
