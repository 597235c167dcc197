/**
 * Health checks that plugins (and the kernel) contribute. The health plugin runs
 * them on an interval, caches the results and serves them as Kubernetes probes and
 * `application/health+json`.
 */
export type HealthStatus = 'pass' | 'warn' | 'fail';

export interface HealthResult {
  status: HealthStatus;
  /** The measured value (queue age in seconds, bytes, ...). */
  observedValue?: number | string | boolean;
  observedUnit?: string;
  /** A human explanation, required when not `pass`. */
  output?: string;
}

export interface HealthCheck {
  /** `component:measurement`, e.g. `webhooks:backlogAge` (the health+json key). */
  name: string;
  /** health+json componentType: `datastore`, `system`, `component`, ... */
  componentType: string;
  /** Whether a `fail` makes the hub not ready. */
  affectsReadiness: boolean;
  check(): HealthResult | Promise<HealthResult>;
}
