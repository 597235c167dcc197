import type { EventBus } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import type { RelaykitEvents } from '../../src/kernel/events.ts';
import type { Tx } from '../../src/storage/storage.ts';
import type { CachedEndpoint } from './endpoints.ts';
import type { Envelope } from './formats.ts';
import type { WebhookMetrics } from './metrics.ts';
import type { WebhooksOptions } from './options.ts';
import type { AttemptRecord, ClaimedDelivery, DeliveryQueue } from './queue.ts';
import { afterFailure } from './retry.ts';
import type { AttemptOutcome } from './schema.ts';
import type { AttemptResult } from './sender.ts';
import type { WebhooksService } from './service.ts';

export interface Finished {
  delivery: ClaimedDelivery;
  result: AttemptResult;
}

type Publish = () => void;

/** An attempt to record, with its delivery. */
interface Attempted {
  delivery: ClaimedDelivery;
  attempt: AttemptRecord;
}

/** The attempt row of a finished (not cancelled) attempt. */
function attemptOf(delivery: ClaimedDelivery, r: AttemptResult): Attempted {
  const attempt = {
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    outcome: r.outcome as AttemptOutcome,
    status: r.status,
    error: r.error,
    excerpt: r.excerpt,
  };
  return { delivery, attempt };
}

/** What a recorded batch leaves to do once committed. */
export interface Recorded {
  publish: Publish[];
  nextRetryAt: number | null;
  /** Results dropped because the lease had passed to another claim (the attempt will be, or was, made again). */
  fenced: number;
}

/**
 * Records what attempts produced, many at once: the attempt row, the delivery's next
 * state (delivered, retry at, failed) and the endpoint's run of failures, which may
 * disable it. Events are published after the commit.
 */
export class Settler {
  constructor(
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly queue: DeliveryQueue,
    private readonly service: WebhooksService,
    private readonly autoDisable: WebhooksOptions['autoDisable'],
    private readonly metrics: WebhookMetrics,
  ) {}

  /**
   * Records a batch inside the caller's transaction; returns the events to publish
   * once it has committed, and the earliest retry it scheduled. Only results whose
   * delivery still carries this worker's claim token are recorded (the fence).
   * Statements per batch, not per attempt: successes are fenced and marked delivered
   * in one statement per status code and claim, and every attempt row goes in one
   * insert; failures (rarer, each needs its own next state) are fenced together and
   * settled one by one. Results are then applied to their endpoints in the order they
   * ended, so a success after a failure still ends the endpoint's run of failures.
   * The caller has brought the endpoint cache up to date in `tx`.
   */
  async record(tx: Tx, batch: readonly Finished[]): Promise<Recorded> {
    const out: Recorded = { publish: [], nextRetryAt: null, fenced: 0 };
    const attempts: Attempted[] = [];
    const { endpoints } = this.service;
    const succeeded = new Map<number | null, ClaimedDelivery[]>();
    const rest: ClaimedDelivery[] = [];
    for (const { delivery, result } of batch) {
      // A success whose endpoint was deleted meanwhile has no delivery left to mark: settled with the rest.
      if (result.outcome === 'success' && endpoints.get(delivery.endpointId)) {
        const same = succeeded.get(result.status);
        if (same) same.push(delivery);
        else succeeded.set(result.status, [delivery]);
      } else rest.push(delivery);
    }
    // Marked delivered (the claim still held them), and the rest still held, locked until the commit.
    const marked = new Set<number>();
    for (const [status, deliveries] of succeeded) {
      for (const id of await this.queue.delivered(tx, deliveries, status)) marked.add(id);
    }
    const held = await this.queue.fence(tx, rest);
    let delivered = 0;
    for (const item of batch) {
      const { delivery: d, result: r } = item;
      if (held.has(d.id)) {
        await this.settleOne(tx, item, out, attempts);
        continue;
      }
      if (!marked.has(d.id)) {
        out.fenced++;
        continue;
      }
      attempts.push(attemptOf(d, r));
      delivered++;
      // Read now, not before the loop: a failure settled earlier in this batch may have started a run.
      const endpoint = endpoints.get(d.endpointId);
      if (endpoint?.row.consecutiveFailures) {
        await endpoints.update(endpoint.id, { consecutiveFailures: 0, failingSince: null }, tx);
      }
    }
    this.metrics.finished('delivered', delivered);
    await this.queue.recordAttempts(tx, attempts);
    this.metrics.attempted(attempts.map(({ attempt }) => attempt));
    return out;
  }

  /** Settles one failed (or cancelled) attempt whose delivery the fence found still held. */
  private async settleOne(tx: Tx, { delivery: d, result: r }: Finished, out: Recorded, attempted: Attempted[]) {
    const { publish } = out;
    const { endpoints } = this.service;
    const now = this.clock.now();
    if (r.outcome === null) {
      // Cancelled by a stop: back to the outbox, due now, without counting an attempt.
      await this.queue.handBack(tx, d);
      return;
    }
    const endpoint = endpoints.get(d.endpointId);
    // Deleted while the attempt was in flight: its pending deliveries are gone.
    if (!endpoint) return;
    const attempts = d.attempts + 1;
    attempted.push(attemptOf(d, r));
    const last = { attempts, failures: d.failures + 1, status: r.status, error: r.error };
    if (!endpoint.row.enabled) {
      // Disabled while the attempt was in flight: it joins the endpoint's other failed deliveries.
      await this.queue.failed(tx, d.id, 'endpoint_disabled', last);
      return;
    }
    if (r.status === 410) {
      await this.queue.failed(tx, d.id, 'endpoint_disabled', last);
      this.metrics.finished('endpoint_disabled');
      await this.disable(tx, await this.streak(tx, endpoint, r.startedAt), 'gone', publish);
      return;
    }
    const decision = afterFailure(this.service.policy(endpoint), last.failures, r.retryAfterSeconds);
    if (decision.retry) {
      const at = now + decision.delayMs;
      await this.queue.retryAt(tx, d.id, at, last);
      out.nextRetryAt = Math.min(out.nextRetryAt ?? at, at);
    } else {
      await this.queue.failed(tx, d.id, 'exhausted', last);
      this.metrics.finished('exhausted');
      const event: RelaykitEvents['webhook.delivery.exhausted'] = {
        deliveryId: d.id,
        endpointId: d.endpointId,
        eventId: d.eventId,
        // The stored envelope's type is the event's (both written from one value); read only here, rarely.
        eventType: (JSON.parse(d.body) as Envelope).type,
        attempts,
        lastStatus: r.status,
        lastError: r.error,
        at: new Date(now).toISOString(),
      };
      publish.push(() => this.bus.publish('webhook.delivery.exhausted', event));
    }
    const failing = await this.streak(tx, endpoint, r.startedAt);
    const { enabled, failures: threshold, windowSeconds } = this.autoDisable;
    const since = failing.row.failingSince ?? now;
    if (enabled && failing.row.consecutiveFailures >= threshold && now - since >= windowSeconds * 1000) {
      await this.disable(tx, failing, 'failing', publish);
    }
  }

  /** Counts one more failure in the endpoint's current run (atomically in the database). */
  private streak(tx: Tx, endpoint: CachedEndpoint, at: number): Promise<CachedEndpoint> {
    return this.service.endpoints.countFailure(endpoint.id, at, tx);
  }

  private async disable(tx: Tx, endpoint: CachedEndpoint, reason: 'failing' | 'gone', publish: Publish[]) {
    const event = await this.service.disable(tx, endpoint, reason);
    this.metrics.finished('endpoint_disabled', event.failedDeliveries);
    publish.push(() => this.bus.publish('webhook.endpoint.disabled', event));
  }
}
