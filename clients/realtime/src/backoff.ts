/**
 * Reconnect delays and the timers they run on. Both are injectable so an application
 * (or a test) can drive reconnects without waiting in real time.
 */

/** The timer functions the clients use (default: the global ones). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const globalTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Exponential backoff with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 500. */
  initialDelayMs: number;
  /** Upper bound of the delay, in ms. Default 30000. */
  maxDelayMs: number;
  /** Growth per attempt. Default 2. */
  factor: number;
  /**
   * Fraction of the delay that is random, 0 to 1. Default 0.5: the delay is drawn from
   * [delay × 0.5, delay], so clients that lost the same hub do not return in lockstep.
   * 1 is "full jitter".
   */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };

/** The delay before retry number `attempt` (1 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = options.initialDelayMs * options.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(options.maxDelayMs, exponential);
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(capped * (1 - jitter * random()));
}

/**
 * A token, or a function that returns one (called before every connection attempt,
 * with `refresh: true` after the hub refused or expired the previous token).
 */
export type TokenSource = string | TokenProvider;
export type TokenProvider = (context: {
  refresh: boolean;
}) => string | null | undefined | Promise<string | null | undefined>;

export async function resolveToken(source: TokenSource | undefined, refresh: boolean): Promise<string | null> {
  if (source === undefined) return null;
  if (typeof source === 'string') return source;
  return (await source({ refresh })) ?? null;
}
