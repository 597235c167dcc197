import type { EventBus } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import type { RelaykitEvents } from '../../src/kernel/events.ts';
import type { Tx } from '../../src/storage/storage.ts';
import type { CachedEndpoint } from './endpoints.ts';
import type { WebhookMetrics } from './metrics.ts';
import type { WebhooksOptions } from './options.ts';
import type { ClaimedDelivery, DeliveryQueue } from './queue.ts';
import { afterFailure } from './retry.ts';
import type { AttemptResult } from './sender.ts';
import type { WebhooksService } from './service.ts';

export interface Finished {
  delivery: ClaimedDelivery;
  result: AttemptResult;
}

type Publish = () => void;

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
   * once it has committed, and the earliest retry it scheduled.
   */
  async record(tx: Tx, batch: readonly Finished[]): Promise<Recorded> {
    const out: Recorded = { publish: [], nextRetryAt: null, fenced: 0 };
    // Endpoints may have changed on another node since the attempts started.
    await this.service.endpoints.sync(tx);
    const held = await this.queue.fence(
      tx,
      batch.map((item) => item.delivery),
    );
    // Successes are marked delivered together, one statement per status code.
    const delivered = new Map<number | null, number[]>();
    for (const item of batch) {
      if (held.has(item.delivery.id)) await this.settleOne(tx, item, out, delivered);
      else out.fenced++;
    }
    for (const [status, ids] of delivered) await this.queue.delivered(tx, ids, status);
    return out;
  }

  private async settleOne(
    tx: Tx,
    { delivery: d, result: r }: Finished,
    out: Recorded,
    delivered: Map<number | null, number[]>,
  ): Promise<void> {
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
    await this.queue.recordAttempt(tx, d, {
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      outcome: r.outcome,
      status: r.status,
      error: r.error,
      excerpt: r.excerpt,
    });
    this.metrics.attempt(r.outcome, r.durationMs);

    if (r.outcome === 'success') {
      const ids = delivered.get(r.status);
      if (ids) ids.push(d.id);
      else delivered.set(r.status, [d.id]);
      this.metrics.finished('delivered');
      if (endpoint.row.consecutiveFailures) {
        await endpoints.update(endpoint.id, { consecutiveFailures: 0, failingSince: null }, tx);
      }
      return;
    }

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
        eventType: d.eventType,
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
