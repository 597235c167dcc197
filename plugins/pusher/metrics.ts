import type { PluginMetrics } from '../../src/kernel/metrics.ts';
import { PusherCodes } from './protocol.ts';

/** Why connections end, as a bounded label set (never the free-text reason). */
export type CloseCause = 'client' | 'restart' | 'refused' | 'unauthorized' | 'pong_timeout' | 'other';

export function closeCause(code: number): CloseCause {
  if (code === 1000 || code === 1001 || code === 1005 || code === 1006) return 'client';
  if (code === PusherCodes.reconnect) return 'restart';
  if (code === PusherCodes.unauthorized) return 'unauthorized';
  if (code === PusherCodes.pongTimeout) return 'pong_timeout';
  if (code >= 4000 && code < 4100) return 'refused';
  return 'other';
}

/** What the gauges read when Prometheus scrapes. */
export interface PusherGaugeSources {
  connections(): number;
  channels(): number;
}

/** The plugin's metrics (no app ids or channel names as labels); they disappear when it stops. */
export function createPusherMetrics(metrics: PluginMetrics, sources: PusherGaugeSources) {
  return {
    connections: metrics.gauge({
      name: 'relaykit_pusher_connections',
      help: 'Open pusher-protocol connections over all apps',
      collect() {
        this.set(sources.connections());
      },
    }),
    channels: metrics.gauge({
      name: 'relaykit_pusher_channels',
      help: 'Pusher channels with at least one subscriber, over all apps',
      collect() {
        this.set(sources.channels());
      },
    }),
    framesIn: metrics.counter({ name: 'relaykit_pusher_frames_in_total', help: 'Frames received from clients' }),
    framesOut: metrics.counter({
      name: 'relaykit_pusher_frames_out_total',
      help: 'Frames sent to clients (a publish counts once per receiver)',
    }),
    events: metrics.counter({
      name: 'relaykit_pusher_events_total',
      help: 'Events triggered, by source (http: the HTTP API, client: client events)',
      labelNames: ['source'] as const,
    }),
    authFailures: metrics.counter({
      name: 'relaykit_pusher_auth_failures_total',
      help: 'Subscriptions and sign-ins refused for a bad signature',
    }),
    apiUnauthorized: metrics.counter({
      name: 'relaykit_pusher_api_unauthorized_total',
      help: 'HTTP API requests refused for a missing, stale or bad signature',
    }),
    rateLimited: metrics.counter({
      name: 'relaykit_pusher_client_events_rate_limited_total',
      help: 'Client events refused over the per-connection rate limit',
    }),
    closes: metrics.counter({
      name: 'relaykit_pusher_closes_total',
      help: 'Connections closed, by cause',
      labelNames: ['cause'] as const,
    }),
  };
}

export type PusherMetrics = ReturnType<typeof createPusherMetrics>;
