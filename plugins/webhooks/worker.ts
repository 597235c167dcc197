import { setImmediate } from 'node:timers';
import type { Clock } from '../../src/kernel/clock.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { WebhooksOptions } from './options.ts';
import type { ClaimedDelivery, DeliveryQueue } from './queue.ts';
import type { Sender } from './sender.ts';
import type { WebhooksService } from './service.ts';
import type { Finished, Settler } from './settle.ts';

/** Most candidate rows read per claim query. */
const CANDIDATES = 256;

/**
 * Sends due deliveries off the request path: claim (lease) → send → settle.
 *
 * Work happens in cycles, one transaction each: record the attempts that ended since
 * the last cycle, then lease due deliveries for the free slots; the leased ones are
 * sent once the transaction commits. A cycle runs when deliveries are written, when
 * attempts end, at the next due time (a timer on the hub's clock) and on a
 * safety-net interval. Concurrency is bounded globally and per endpoint, so one slow
 * endpoint holds at most `perEndpointConcurrency` slots.
 */
export class Worker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private finished: Finished[] = [];
  private readonly cancel = new AbortController();
  private running = false;
  private cycleQueued = false;
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
    this.cancelInterval = this.clock.setInterval(() => this.cycle(true), this.options.pollIntervalMs);
    // Leases a previous process left behind end in the future: the first cycle looks for them.
    this.cycleQueued = true;
    setImmediate(() => this.cycle(true));
  }

  /** Runs a cycle soon (after the current transaction and I/O callbacks), once however often it is called. */
  wake(): void {
    if (this.cycleQueued) return;
    this.cycleQueued = true;
    setImmediate(() => this.cycle());
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
    this.cycle();
  }

  /**
   * One transaction: settle what ended, lease what is due; then send what was leased.
   * `lookAhead` also reads when the next delivery falls due (timer, interval, start);
   * otherwise only retries this cycle scheduled move the timer.
   */
  private cycle(lookAhead = false): void {
    this.cycleQueued = false;
    // Under load, claim once a batch of slots is free, and record results in batches too:
    // one transaction per batch of attempts, not per attempt.
    const claim =
      this.running && (!this.inFlight.size || this.options.concurrency - this.inFlight.size >= this.claimBatch);
    const settle = claim || !this.running || this.finished.length >= this.claimBatch;
    const batch = settle ? this.finished : [];
    if (settle) this.finished = [];
    let recorded: ReturnType<Settler['record']> = { publish: [], nextRetryAt: null };
    let claimed: ClaimedDelivery[] = [];
    if (batch.length || claim) {
      try {
        this.queue.atomically(() => {
          if (batch.length) recorded = this.settler.record(batch);
          if (claim) claimed = this.claim();
        });
      } catch (err) {
        // Unrecorded deliveries keep their leases: they are attempted again when the leases expire.
        this.log.error({ err, results: batch.length }, 'webhook worker could not record results or claim deliveries');
      }
    }
    for (const publish of recorded.publish) publish();
    for (const delivery of claimed) this.launch(delivery);
    if (lookAhead) this.armTimer(this.queue.nextDueAfter(this.clock.now()));
    else if (recorded.nextRetryAt !== null) this.armTimer(recorded.nextRetryAt);
  }

  /** Leases due deliveries for the free slots, within each endpoint's limit. */
  private claim(): ClaimedDelivery[] {
    const { concurrency, perEndpointConcurrency, leaseGraceMs } = this.options;
    const now = this.clock.now();
    const claimed: ClaimedDelivery[] = [];
    const taken = new Map<string, number>(this.perEndpoint);
    // Endpoints whose pending rows cannot be sent (disabled or deleted: not expected, but never let them block others).
    const unusable = new Set<string>();
    for (;;) {
      const free = concurrency - this.inFlight.size - claimed.length;
      if (free <= 0) return claimed;
      const skip = [...unusable];
      for (const [id, n] of taken) if (n >= perEndpointConcurrency) skip.push(id);
      const limit = Math.min(CANDIDATES, free * 2);
      const candidates = this.queue.due(now, limit, skip);
      const leases: Array<{ id: number; until: number }> = [];
      let skipped = false;
      for (const { id, endpointId } of candidates) {
        const endpoint = this.service.endpoints.get(endpointId);
        if (!endpoint?.row.enabled) {
          unusable.add(endpointId);
          skipped = true;
          continue;
        }
        const used = taken.get(endpointId) ?? 0;
        if (used >= perEndpointConcurrency) continue;
        taken.set(endpointId, used + 1);
        leases.push({ id, until: now + this.service.timeoutMs(endpoint) + leaseGraceMs });
        if (leases.length >= free) break;
      }
      if (leases.length) claimed.push(...this.queue.lease(leases, now));
      // Fewer candidates than asked for: nothing else is due. Nothing taken nor newly skipped: no progress possible.
      if (candidates.length < limit || (!leases.length && !skipped)) return claimed;
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
      })
      .catch((err) => this.log.error({ err, delivery: delivery.id }, 'webhook attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
        if (left) this.perEndpoint.set(endpointId, left);
        else this.perEndpoint.delete(endpointId);
        this.wake();
      });
    this.inFlight.set(delivery.id, attempt);
  }

  /**
   * Sleeps until `next` (if that is sooner than the timer already set). Deliveries due
   * already but left for lack of room are picked up when an attempt ends.
   */
  private armTimer(next: number | null): void {
    if (!this.running || next === null) return;
    if (this.timer && this.timer.at <= next) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.cycle(true);
      },
      Math.max(0, next - this.clock.now()),
    );
    this.timer = { at: next, cancel };
  }
}
