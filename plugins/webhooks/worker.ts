import { setImmediate } from 'node:timers';
import type { Clock } from '../../src/kernel/clock.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { WebhooksOptions } from './options.ts';
import type { ClaimedDelivery, DeliveryQueue } from './queue.ts';
import type { Sender } from './sender.ts';
import type { WebhooksService } from './service.ts';
import type { Finished, Settler } from './settle.ts';

/** Most candidate rows read per claim query. */
const CLAIM_BATCH = 256;

/**
 * Sends due deliveries off the request path: claim (lease) → send → settle.
 *
 * Concurrency is bounded globally and per endpoint, so one slow endpoint holds at
 * most `perEndpointConcurrency` slots. The worker wakes when deliveries are written,
 * when an attempt ends, at the next due time (a timer on the hub's clock) and on a
 * safety-net interval. Results are settled in batches, one transaction per tick.
 */
export class Worker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private finished: Finished[] = [];
  private readonly cancel = new AbortController();
  private running = false;
  private pollQueued = false;
  private flushQueued = false;
  private timer: { at: number; cancel: () => void } | null = null;
  private cancelInterval: (() => void) | null = null;
  /** While attempts are in flight, claim only once this many slots are free (fewer, larger claims). */
  private readonly claimBatch: number;

  constructor(
    private readonly options: WebhooksOptions['worker'],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly service: WebhooksService,
    private readonly queue: DeliveryQueue,
    private readonly sender: Sender,
    private readonly settler: Settler,
  ) {
    this.claimBatch = Math.max(1, Math.floor(options.concurrency / 4));
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.running = true;
    this.cancelInterval = this.clock.setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.wake();
  }

  /** Polls soon (after the current transaction and I/O callbacks), once however often it is called. */
  wake(): void {
    if (!this.running || this.pollQueued) return;
    this.pollQueued = true;
    setImmediate(() => {
      this.pollQueued = false;
      this.poll();
    });
  }

  /**
   * Lets in-flight attempts finish for up to `drainTimeoutMs`, then cancels the rest
   * (they go back to the outbox, due now, uncounted) and records every result.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelInterval?.();
    this.timer?.cancel();
    this.timer = null;
    if (this.inFlight.size) {
      let cancelDrain = () => {};
      const drained = Promise.allSettled([...this.inFlight.values()]);
      const timedOut = new Promise<void>((resolve) => {
        cancelDrain = this.clock.setTimeout(resolve, this.options.drainTimeoutMs);
      });
      await Promise.race([drained, timedOut]);
      cancelDrain();
      if (this.inFlight.size) {
        this.log.info(
          { inFlight: this.inFlight.size },
          'cancelling webhook attempts still in flight; they stay queued',
        );
        this.cancel.abort();
        await Promise.allSettled([...this.inFlight.values()]);
      }
    }
    this.flush();
  }

  private poll(): void {
    if (!this.running) return;
    try {
      this.claimAndSend();
    } catch (err) {
      this.log.error({ err }, 'webhook worker could not claim deliveries');
    }
    this.armTimer();
  }

  private claimAndSend(): void {
    const { concurrency, perEndpointConcurrency, leaseGraceMs } = this.options;
    const now = this.clock.now();
    // Endpoints whose pending rows cannot be sent (disabled or deleted: not expected, but never let them block others).
    const unusable = new Set<string>();
    for (;;) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return;
      const skip = [...unusable];
      for (const [id, n] of this.perEndpoint) if (n >= perEndpointConcurrency) skip.push(id);
      const limit = Math.min(CLAIM_BATCH, free * 4);
      const candidates = this.queue.due(now, limit, skip);
      if (!candidates.length) return;
      const leases: Array<{ id: number; until: number }> = [];
      const taken = new Map<string, number>();
      let picked = 0;
      let skipped = false;
      for (const { id, endpointId } of candidates) {
        const endpoint = this.service.endpoints.get(endpointId);
        if (!endpoint?.row.enabled) {
          unusable.add(endpointId);
          skipped = true;
          continue;
        }
        const used = (this.perEndpoint.get(endpointId) ?? 0) + (taken.get(endpointId) ?? 0);
        if (used >= perEndpointConcurrency) continue;
        taken.set(endpointId, (taken.get(endpointId) ?? 0) + 1);
        leases.push({ id, until: now + this.service.timeoutMs(endpoint) + leaseGraceMs });
        if (++picked >= free) break;
      }
      if (picked) for (const delivery of this.queue.lease(leases, now)) this.launch(delivery);
      // Fewer candidates than asked for: nothing else is due. Nothing taken nor newly skipped: no progress possible.
      if (candidates.length < limit || (!picked && !skipped)) return;
    }
  }

  private launch(delivery: ClaimedDelivery): void {
    const endpoint = this.service.endpoints.get(delivery.endpointId);
    if (!endpoint) return;
    const { endpointId } = delivery;
    this.perEndpoint.set(endpointId, (this.perEndpoint.get(endpointId) ?? 0) + 1);
    const attempt = this.sender
      .send(endpoint, delivery, this.service.timeoutMs(endpoint), this.cancel.signal)
      .then((result) => {
        this.finished.push({ delivery, result });
        this.scheduleFlush();
      })
      .catch((err) => this.log.error({ err, delivery: delivery.id }, 'webhook attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
        if (left) this.perEndpoint.set(endpointId, left);
        else this.perEndpoint.delete(endpointId);
        // Under load, wait until a batch of slots is free: one claim transaction per batch, not per attempt.
        const free = this.options.concurrency - this.inFlight.size;
        if (!this.inFlight.size || free >= this.claimBatch) this.wake();
      });
    this.inFlight.set(delivery.id, attempt);
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  /** Settles every finished attempt in one transaction. */
  private flush(): void {
    this.flushQueued = false;
    const batch = this.finished;
    if (!batch.length) return;
    this.finished = [];
    try {
      this.settler.settle(batch);
    } catch (err) {
      // The deliveries keep their leases: they are attempted again when the leases expire.
      this.log.error({ err, deliveries: batch.length }, 'webhook results could not be recorded');
    }
  }

  /** Sleeps until the next delivery falls due (if that is sooner than the timer already set). */
  private armTimer(): void {
    if (!this.running) return;
    const now = this.clock.now();
    // Deliveries due already but left for lack of room are picked up when an attempt ends.
    const next = this.queue.nextDueAfter(now);
    if (next === null) return;
    if (this.timer && this.timer.at <= next) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimeout(() => {
      this.timer = null;
      this.poll();
    }, next - now);
    this.timer = { at: next, cancel };
  }
}
