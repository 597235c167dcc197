/**
 * When to try again. A delivery gets one attempt plus one retry per entry of its
 * schedule; the n-th failure waits `schedule[n-1]` seconds, spread by ±jitter. A 429
 * or 503 with `Retry-After` replaces that wait, bounded by `retryAfterMaxSeconds`.
 */

export interface RetryPolicy {
  /** Seconds before each retry. */
  schedule: readonly number[];
  /** Fraction of spread, 0..1. */
  jitter: number;
  retryAfterMaxSeconds: number;
}

/** What the worker does after a failed attempt. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Decides the next step after the `failures`-th consecutive failure (1-based). */
export function afterFailure(
  policy: RetryPolicy,
  failures: number,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): RetryDecision {
  if (failures > policy.schedule.length) return { retry: false };
  if (retryAfterSeconds !== null) {
    return { retry: true, delayMs: Math.min(Math.max(retryAfterSeconds, 1), policy.retryAfterMaxSeconds) * 1000 };
  }
  const base = policy.schedule[failures - 1] * 1000;
  const spread = base * policy.jitter * (random() * 2 - 1);
  return { retry: true, delayMs: Math.max(0, Math.round(base + spread)) };
}

/**
 * `Retry-After` as seconds from `now`: either delta-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Statuses whose `Retry-After` the worker honours. */
export function honoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}
