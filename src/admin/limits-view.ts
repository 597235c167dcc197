import type { Counter } from 'prom-client';
import type { HubConfig } from '../config/schema.ts';
import type { AdminLimits } from './routes.ts';

/** What `GET /admin/limits` reads from the running hub. */
export interface LimitsSources {
  config: HubConfig;
  /** Identities with a quota bucket right now. */
  trackedCallers: number;
  /** Connections and streams counted against the per-identity and per-IP caps. */
  openConnections: number;
  /** relaykit_rate_limited_total. */
  rateLimited: Counter<'reason'>;
}

/** The limits in force and what they refused, by reason. */
export async function limitsView(sources: LimitsSources): Promise<AdminLimits> {
  const { server, limits } = sources.config;
  const counted = await sources.rateLimited.get();
  return {
    limits,
    maxBodyBytes: server.maxBodyBytes,
    maxJsonDepth: server.maxJsonDepth,
    bodyTimeoutMs: server.bodyTimeoutMs,
    trackedCallers: sources.trackedCallers,
    openConnections: sources.openConnections,
    rateLimited: Object.fromEntries(counted.values.map((v) => [String(v.labels.reason), v.value])),
  };
}
