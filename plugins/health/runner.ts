import type { Clock } from '../../src/kernel/clock.ts';
import type { HealthCheck, HealthResult, HealthStatus } from '../../src/kernel/health.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { CancellableCheck } from './external.ts';

/** One check's latest outcome, as cached between runs. */
export interface CheckResult extends HealthResult {
  name: string;
  componentType: string;
  affectsReadiness: boolean;
  /** When the result was recorded (ISO 8601). */
  time: string;
  durationMs: number;
}

export interface RunnerDeps {
  clock: Clock;
  log: Logger;
  timeoutMs: number;
  intervalMs: number;
  /** The checks of one run (read again at every run: plugins come and go). */
  checks(): readonly HealthCheck[];
  /** Called after every complete run. */
  onResults(results: readonly CheckResult[]): void;
}

const STATUSES: ReadonlySet<string> = new Set(['pass', 'warn', 'fail']);

/**
 * Runs every health check on an interval (through the hub's clock) and caches the
 * results, so probes answer from memory. Each check is bounded by its timeout: one
 * that has not answered by then fails ("timed out") and is told to give up through
 * its abort signal. A check that throws fails with its message. Status changes are
 * logged, so a failing check is never silent.
 */
export class HealthRunner {
  private cached: CheckResult[] | null = null;
  private current: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  private cancelInterval: (() => void) | null = null;
  private readonly stopping = new AbortController();
  private readonly lastStatus = new Map<string, HealthStatus>();

  constructor(private readonly deps: RunnerDeps) {}

  start(): void {
    this.cancelInterval = this.deps.clock.setInterval(() => void this.run(), this.deps.intervalMs);
    void this.run();
  }

  stop(): void {
    this.cancelInterval?.();
    this.cancelInterval = null;
    this.stopping.abort();
  }

  /** The latest results, or null before the first run has finished. */
  results(): readonly CheckResult[] | null {
    return this.cached;
  }

  /** Runs every check unless a run is already going (the interval's way). */
  run(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    if (!this.current) {
      this.current = this.runAll().finally(() => {
        this.current = null;
      });
    }
    return this.current;
  }

  /** Runs every check soon, after the run in flight if there is one (plugins changed). */
  refresh(): Promise<void> {
    if (!this.current) return this.run();
    this.pending ??= this.current.then(() => {
      this.pending = null;
      return this.run();
    });
    return this.pending;
  }

  private async runAll(): Promise<void> {
    const results = await Promise.all(this.deps.checks().map((check) => this.runOne(check)));
    if (this.stopping.signal.aborted) return;
    this.cached = results;
    this.logChanges(results);
    this.deps.onResults(results);
  }

  private async runOne(check: HealthCheck): Promise<CheckResult> {
    const timeoutMs = (check as CancellableCheck).timeoutMs ?? this.deps.timeoutMs;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    let cancelTimer = () => {};
    const timedOut = new Promise<HealthResult>((resolve) => {
      cancelTimer = this.deps.clock.setTimeout(() => {
        abort.abort();
        resolve({ status: 'fail', output: `timed out after ${timeoutMs} ms` });
      }, timeoutMs);
    });
    const started = performance.now();
    let result: HealthResult;
    try {
      const run = check.check as (signal: AbortSignal) => HealthResult | Promise<HealthResult>;
      result = await Promise.race([Promise.resolve().then(() => run.call(check, abort.signal)), timedOut]);
      if (!result || !STATUSES.has(result.status)) result = { status: 'fail', output: 'the check returned no status' };
    } catch (err) {
      result = { status: 'fail', output: `the check threw: ${(err as Error)?.message ?? String(err)}` };
    } finally {
      cancelTimer();
      this.stopping.signal.removeEventListener('abort', onStop);
    }
    return {
      name: check.name,
      componentType: check.componentType,
      affectsReadiness: check.affectsReadiness,
      ...result,
      ...(result.status !== 'pass' && !result.output ? { output: `the check reported ${result.status}` } : {}),
      time: new Date(this.deps.clock.now()).toISOString(),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }

  private logChanges(results: readonly CheckResult[]): void {
    const seen = new Set<string>();
    for (const r of results) {
      seen.add(r.name);
      const before = this.lastStatus.get(r.name) ?? 'pass';
      this.lastStatus.set(r.name, r.status);
      if (r.status === before) continue;
      const fields = { check: r.name, status: r.status, previous: before, output: r.output };
      if (r.status === 'pass') this.deps.log.info(fields, 'health check recovered');
      else if (r.status === 'warn') this.deps.log.warn(fields, 'health check warns');
      else this.deps.log.error(fields, 'health check failed');
    }
    for (const name of this.lastStatus.keys()) if (!seen.has(name)) this.lastStatus.delete(name);
  }
}
