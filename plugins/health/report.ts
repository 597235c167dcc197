import type { HealthStatus } from '../../src/kernel/health.ts';
import type { HubState } from '../../src/kernel/plugin.ts';
import { VERSION } from '../../src/version.ts';
import type { CheckResult } from './runner.ts';

/** The media type of the IETF "Health Check Response Format for HTTP APIs" draft. */
export const HEALTH_JSON = 'application/health+json';

/** One entry of a health+json `checks` array. */
export interface CheckEntry {
  componentType: string;
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  time: string;
  output?: string;
  /** Relaykit's extension: whether a `fail` makes the hub not ready. */
  affectsReadiness: boolean;
}

/** A health+json document (draft-inadarei-api-health-check). */
export interface HealthDocument {
  status: HealthStatus;
  version: string;
  releaseId: string;
  description: string;
  output?: string;
  notes?: string[];
  checks?: Record<string, CheckEntry[]>;
}

/** An answer of one probe: the HTTP status and its health+json body. */
export interface Probe {
  httpStatus: 200 | 503;
  body: HealthDocument;
}

/** Why the hub is not ready, or an empty list. */
export function notReadyReasons(state: HubState, results: readonly CheckResult[] | null): string[] {
  if (state !== 'ready') return [`the hub is ${state}`];
  if (!results) return ['the health checks have not run yet'];
  return results.filter((r) => r.affectsReadiness && r.status === 'fail').map((r) => `${r.name}: ${r.output}`);
}

/**
 * The overall status: `fail` when the hub is not ready, `warn` when a check warns
 * or a check that does not affect readiness fails, else `pass`.
 */
export function overallStatus(reasons: readonly string[], results: readonly CheckResult[] | null): HealthStatus {
  if (reasons.length) return 'fail';
  return results?.some((r) => r.status !== 'pass') ? 'warn' : 'pass';
}

export function document(
  status: HealthStatus,
  extra: { output?: string; notes?: string[]; results?: readonly CheckResult[] } = {},
): HealthDocument {
  const doc: HealthDocument = {
    status,
    version: VERSION.split('.')[0],
    releaseId: VERSION,
    description: 'Relaykit realtime event hub',
  };
  if (extra.output) doc.output = extra.output;
  if (extra.notes?.length) doc.notes = extra.notes;
  if (extra.results) doc.checks = checksObject(extra.results);
  return doc;
}

/** Groups results by check name (`component:measurement`), as the draft's `checks` object does. */
export function checksObject(results: readonly CheckResult[]): Record<string, CheckEntry[]> {
  const checks: Record<string, CheckEntry[]> = {};
  for (const r of results) {
    const entry: CheckEntry = {
      componentType: r.componentType,
      status: r.status,
      ...(r.observedValue === undefined ? {} : { observedValue: r.observedValue }),
      ...(r.observedUnit === undefined ? {} : { observedUnit: r.observedUnit }),
      time: r.time,
      ...(r.output ? { output: r.output } : {}),
      affectsReadiness: r.affectsReadiness,
    };
    const entries = checks[r.name] ?? [];
    entries.push(entry);
    checks[r.name] = entries;
  }
  return checks;
}

/** The HTTP status for a health+json status: `fail` is 503, `pass` and `warn` are 200. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'fail' ? 503 : 200;
}
