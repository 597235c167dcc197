import { type Clock, systemClock } from '../kernel/clock.ts';

/**
 * Leadership for cluster singletons (the ttl sweeper, webhook retention): among
 * the nodes that run for one name, at most one leads at a time, and when the
 * leader dies another live candidate takes over within a bounded time.
 *
 * "At most one" holds between rounds: a leader learns it lost leadership at its
 * next round (its connection died, its lease could not be renewed), so for up to
 * one round two nodes may both believe they lead. Use leadership for work that
 * tolerates a brief overlap (idempotent sweeps), not as a mutual-exclusion lock.
 */
export interface Leadership {
  /** What is being led, e.g. `ttl-sweeper`. Candidates with the same name compete. */
  readonly name: string;
  /** Whether this node leads now (as of its last round). */
  isLeader(): boolean;
  /** Called with true when this node becomes leader and false when it stops; returns the unsubscribe. */
  onChange(listener: (leader: boolean) => void): () => void;
  /** Stops competing and releases leadership if held (another node can take it at once). Idempotent. */
  close(): Promise<void>;
}

/** Listener bookkeeping and transitions, shared by the implementations. */
export abstract class LeadershipBase implements Leadership {
  private leader = false;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(
    readonly name: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  abstract close(): Promise<void>;

  protected set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const listener of this.listeners) {
      try {
        listener(leader);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  protected report(error: unknown): void {
    this.onError(error);
  }
}

export interface PollingOptions {
  /** How often a round runs (try to acquire, or confirm/renew). */
  everyMs: number;
  clock?: Clock;
  onError?(error: unknown): void;
}

/**
 * A leadership decided by rounds against a store: each round either acquires or
 * confirms. A round that fails is reported and `failed()` says whether this node
 * still leads. Rounds never overlap: `round()` returns the one in flight.
 */
export abstract class PollingLeadership extends LeadershipBase {
  protected readonly clock: Clock;
  private readonly stopTimer: () => void;
  private running: Promise<boolean> | null = null;
  protected closed = false;

  constructor(name: string, options: PollingOptions) {
    super(name, options.onError ?? ((e) => console.error(`[relaykit] leadership ${name}:`, e)));
    this.clock = options.clock ?? systemClock;
    this.stopTimer = this.clock.setInterval(() => void this.round(), options.everyMs);
    // After the subclass constructor has run: the first round needs its fields.
    queueMicrotask(() => void this.round());
  }

  /** Runs one round now (or joins the one running) and resolves with whether this node leads after it. */
  round(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.running ??= this.attempt()
      .catch((err) => {
        this.report(err);
        return this.failed();
      })
      .then((leader) => {
        this.running = null;
        if (!this.closed) this.set(leader);
        return this.isLeader();
      });
    return this.running;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    await this.running?.catch(() => {});
    const wasLeader = this.isLeader();
    this.set(false);
    try {
      await this.release(wasLeader);
    } catch (err) {
      this.report(err);
    }
  }

  /** Acquires leadership or confirms it is still held; resolves with whether this node leads. */
  protected abstract attempt(): Promise<boolean>;
  /** After a failed round: whether this node may still consider itself leader. */
  protected abstract failed(): boolean;
  /** Gives leadership back (when held) and frees what the implementation owns. */
  protected abstract release(wasLeader: boolean): Promise<void>;
}
