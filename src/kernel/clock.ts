/**
 * Time as the hub sees it. Everything time-based (retries, TTL, heartbeats,
 * leases) reads the clock and schedules through it, so tests can inject a
 * `ManualClock` and move time forward instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
  /** Runs `fn` every `ms`; returns a cancel function. */
  setInterval(fn: () => void, ms: number): () => void;
}

/**
 * Resolves when `promise` does, or after `ms` on `clock`, whichever comes first (a
 * rejection passes through); the timer is cancelled either way.
 */
export function within(clock: Clock, promise: Promise<unknown>, ms: number): Promise<void> {
  let cancel = () => {};
  const late = new Promise<void>((resolve) => {
    cancel = clock.setTimeout(resolve, ms);
  });
  return Promise.race([promise.then(() => {}), late]).finally(() => cancel());
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};

interface Timer {
  id: number;
  at: number;
  every?: number;
  fn: () => void;
}

/** A clock that only moves when told to. Timers fire in order during `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    return this.add({ id: this.nextId++, at: this.current + Math.max(0, ms), fn });
  }

  setInterval(fn: () => void, ms: number): () => void {
    const every = Math.max(1, ms);
    return this.add({ id: this.nextId++, at: this.current + every, every, fn });
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.current = next.at;
      if (next.every) next.at += next.every;
      else this.timers.shift();
      next.fn();
    }
    this.current = target;
  }

  /** Like `advance`, then lets promises started by the timers settle. */
  async tick(ms: number): Promise<void> {
    this.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  }

  /** How many timers are scheduled. */
  get pending(): number {
    return this.timers.length;
  }

  private add(timer: Timer): () => void {
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
}
