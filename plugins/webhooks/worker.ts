import { setImmediate } from 'node:timers';
import type { Clock } from '../../src/kernel/clock.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { Tx } from '../../src/storage/storage.ts';
import type { CachedEndpoint } from './endpoints.ts';
import type { WebhooksOptions } from './options.ts';
import type { ClaimedDelivery, DeliveryQueue, DueDelivery } from './queue.ts';
import type { Sender } from './sender.ts';
import type { WebhooksService } from './service.ts';
import type { Finished, Recorded, Settler } from './settle.ts';

/** Most candidate rows read per claim query. */
const CANDIDATES = 256;

/**
 * Sends due deliveries off the request path: claim (lease) → send → settle.
 *
 * Work happens in cycles, one transaction each: record the attempts that ended since
 * the last cycle, then lease due deliveries when the ready queue runs low. Leased
 * deliveries wait in that queue (at most one round per endpoint) and start the moment
 * a slot frees, without touching the database, so claims and records come in batches.
 * A cycle runs when deliveries are written or re-queued, when attempts end, and at the
 * next due time (a timer on the hub's clock); with nothing pending, the worker sleeps
 * without any timer. Concurrency is bounded globally and per endpoint, so one slow
 * endpoint holds at most `perEndpointConcurrency` slots.
 */
export class Worker {
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Attempts in flight per endpoint. */
  private readonly perEndpoint = new Map<string, number>();
  /** Leased deliveries waiting for a slot, oldest first. */
  private ready: ClaimedDelivery[] = [];
  private finished: Finished[] = [];
  private running = false;
  private cycleQueued = false;
  /** The cycle running now: cycles never overlap; one asked for meanwhile runs right after. */
  private cycling: Promise<void> | null = null;
  private again: { lookAhead: boolean } | null = null;
  private timer: { at: number; cancel: () => void } | null = null;
  /** Results recorded per transaction under load (and the ready queue's refill step). */
  private readonly batch: number;

  constructor(
    private readonly options: WebhooksOptions['worker'],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly service: WebhooksService,
    private readonly queue: DeliveryQueue,
    private readonly sender: Sender,
    private readonly settler: Settler,
    /** Told after results were recorded (retention schedules its next pass). */
    private readonly recorded: () => void,
    /** Other nodes share the outbox: look for due work at least this often (ms), else null. */
    private readonly pollMs: number | null = null,
  ) {
    this.batch = Math.max(1, Math.floor(options.concurrency / 4));
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.running = true;
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
        this.sender.cancelAll();
        await Promise.allSettled([...this.inFlight.values()]);
      }
    }
    // A last cycle records every result and hands back what never started.
    this.cycle();
    while (this.cycling) await this.cycling;
  }

  /**
   * One transaction: settle what ended, lease what is due; then start what was leased.
   * `lookAhead` also reads when the next delivery falls due (timer, start); otherwise
   * only retries this cycle scheduled move the timer.
   */
  private cycle(lookAhead = false): void {
    if (this.cycling) {
      this.again = { lookAhead: lookAhead || (this.again?.lookAhead ?? false) };
      return;
    }
    this.cycling = this.runCycle(lookAhead)
      .catch((err) => this.log.error({ err }, 'webhook worker cycle failed'))
      .finally(() => {
        this.cycling = null;
        const again = this.again;
        this.again = null;
        if (again) this.cycle(again.lookAhead);
      });
  }

  private async runCycle(lookAhead: boolean): Promise<void> {
    this.cycleQueued = false;
    const { concurrency } = this.options;
    // Refill the ready queue once half of it is gone; record results once a batch has
    // ended (or when idle, or stopping): one transaction per batch of attempts.
    const claim = this.running && this.ready.length <= concurrency / 2;
    const settle = claim || !this.running || !this.inFlight.size || this.finished.length >= this.batch;
    const batch = settle ? this.finished : [];
    if (settle) this.finished = [];
    const handBack = this.running ? [] : this.ready;
    if (!this.running) this.ready = [];
    let recorded: Recorded = { publish: [], nextRetryAt: null, fenced: 0 };
    if (batch.length || claim || handBack.length) {
      try {
        let settled = recorded;
        let claimed: ClaimedDelivery[] = [];
        await this.queue.atomically(async (tx) => {
          // Endpoints created, changed or disabled on another node since the last cycle count from here on.
          await this.service.endpoints.sync(tx);
          if (batch.length) settled = await this.settler.record(tx, batch);
          // Stopping: leased deliveries that never started go back to the outbox, due now.
          for (const delivery of handBack) await this.queue.handBack(tx, delivery);
          if (claim) claimed = await this.claim(tx);
        });
        // Only what committed counts: its events are published, its leases are ours to send.
        recorded = settled;
        if (recorded.fenced) {
          this.log.warn(
            { results: recorded.fenced },
            'webhook attempts ended after their lease had passed to another claim; their results were not recorded',
          );
        }
        this.ready.push(...claimed);
        if (batch.length) this.recorded();
      } catch (err) {
        // Unrecorded deliveries keep their leases: they are attempted again when the leases expire.
        this.log.error({ err, results: batch.length }, 'webhook worker could not record results or claim deliveries');
        this.armTimer(this.clock.now() + this.options.retryAfterErrorMs);
      }
    }
    for (const publish of recorded.publish) publish();
    this.pump();
    if (lookAhead) this.armTimer(await this.queue.nextDueAfter(this.clock.now()));
    else if (recorded.nextRetryAt !== null) this.armTimer(recorded.nextRetryAt);
  }

  /**
   * Leases due deliveries to fill the ready queue: up to twice the pool over in flight
   * and ready, and twice each endpoint's limit, so a delivery waits for at most one
   * round of its endpoint's attempts.
   */
  private allSkipped(skip: readonly string[]): boolean {
    const skipped = new Set(skip);
    for (const endpoint of this.service.endpoints.all())
      if (endpoint.row.enabled && !skipped.has(endpoint.id)) return false;
    return true;
  }

  private async claim(tx: Tx): Promise<ClaimedDelivery[]> {
    const { concurrency, perEndpointConcurrency, leaseGraceMs } = this.options;
    const now = this.clock.now();
    const claimed: ClaimedDelivery[] = [];
    const cap = 2 * perEndpointConcurrency;
    const taken = new Map<string, number>(this.perEndpoint);
    for (const { endpointId } of this.ready) taken.set(endpointId, (taken.get(endpointId) ?? 0) + 1);
    // Endpoints whose pending rows cannot be sent (disabled or deleted: not expected, but never let them block others).
    const unusable = new Set<string>();
    for (;;) {
      const free = 2 * concurrency - this.inFlight.size - this.ready.length - claimed.length;
      if (free <= 0) return claimed;
      const skip = [...unusable];
      let most = 0;
      for (const [id, n] of taken) {
        if (n >= cap) skip.push(id);
        most = Math.max(most, n);
      }
      // Every enabled endpoint is at its cap: nothing could be leased, and the query would
      // walk the whole due backlog only to skip it (it did, once per cycle, during a drain).
      if (skip.length && this.allSkipped(skip)) return claimed;
      // Twice the room, so that rows of endpoints reaching their cap meanwhile can be passed
      // over; when no endpoint can reach it within this claim, every row read is leased.
      const limit = Math.min(CANDIDATES, most + free <= cap ? free : free * 2);
      const candidates = await this.queue.due(tx, now, limit, skip);
      const leases: Array<DueDelivery & { until: number }> = [];
      let skipped = false;
      for (const candidate of candidates) {
        const { endpointId } = candidate;
        const endpoint = this.service.endpoints.get(endpointId);
        if (!endpoint?.row.enabled) {
          unusable.add(endpointId);
          skipped = true;
          continue;
        }
        const used = taken.get(endpointId) ?? 0;
        if (used >= cap) continue;
        taken.set(endpointId, used + 1);
        // Covers the wait for a slot (one round, at most a timeout) and the attempt itself.
        leases.push({ ...candidate, until: now + 2 * this.service.timeoutMs(endpoint) + leaseGraceMs });
        if (leases.length >= free) break;
      }
      if (leases.length) claimed.push(...(await this.queue.lease(tx, leases, now)));
      // Fewer candidates than asked for: nothing else is due. Nothing taken nor newly skipped: no progress possible.
      if (candidates.length < limit || (!leases.length && !skipped)) return claimed;
    }
  }

  /** Starts ready deliveries while there are slots (no database work: they are leased already). */
  private pump(): void {
    if (!this.running) return;
    const { concurrency, perEndpointConcurrency } = this.options;
    let i = 0;
    while (this.inFlight.size < concurrency && i < this.ready.length) {
      const delivery = this.ready[i];
      const endpoint = this.service.endpoints.get(delivery.endpointId);
      if (!endpoint?.row.enabled) {
        // Disabled or deleted meanwhile: its pending deliveries were failed or dropped with it.
        this.ready.splice(i, 1);
        continue;
      }
      if ((this.perEndpoint.get(delivery.endpointId) ?? 0) >= perEndpointConcurrency) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      this.launch(delivery, endpoint);
    }
  }

  private launch(delivery: ClaimedDelivery, endpoint: CachedEndpoint): void {
    const { endpointId } = delivery;
    this.perEndpoint.set(endpointId, (this.perEndpoint.get(endpointId) ?? 0) + 1);
    // One reaction per attempt (not then/catch/finally: three promises for one outcome).
    const attempt = this.sender.send(endpoint, delivery, this.service.timeoutMs(endpoint)).then(
      (result) => {
        this.finished.push({ delivery, result });
        this.attemptEnded(delivery);
      },
      (err) => {
        this.log.error({ err, delivery: delivery.id }, 'webhook attempt failed unexpectedly');
        this.attemptEnded(delivery);
      },
    );
    this.inFlight.set(delivery.id, attempt);
  }

  /** Frees an ended attempt's slot, starts what waits for it and asks for a cycle to record it. */
  private attemptEnded({ id, endpointId }: ClaimedDelivery): void {
    this.inFlight.delete(id);
    const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
    if (left) this.perEndpoint.set(endpointId, left);
    else this.perEndpoint.delete(endpointId);
    this.pump();
    this.wake();
  }

  /**
   * Sleeps until `next` (if that is sooner than the timer already set). Deliveries due
   * already but left for lack of room are picked up when an attempt ends.
   */
  private armTimer(next: number | null): void {
    if (this.pollMs !== null) next = Math.min(next ?? Number.POSITIVE_INFINITY, this.clock.now() + this.pollMs);
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
