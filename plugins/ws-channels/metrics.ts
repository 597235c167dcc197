import type { PluginMetrics } from '../../src/kernel/metrics.ts';

/** Why connections end, as a bounded label set (never the free-text reason). */
export type CloseCause =
  | 'client'
  | 'restart'
  | 'slow_consumer'
  | 'rate_limited'
  | 'idle'
  | 'unauthorized'
  | 'forbidden'
  | 'too_big'
  | 'overloaded'
  | 'other';

/** What the gauges read when Prometheus scrapes. */
export interface WsGaugeSources {
  connections(): number;
  subscriptions(): number;
  channels(): number;
  catchingUp(): number;
}

/** The plugin's metrics; they disappear when the instance stops. */
export function createWsMetrics(metrics: PluginMetrics, sources: WsGaugeSources) {
  return {
    connections: metrics.gauge({
      name: 'relaykit_ws_connections',
      help: 'Open WebSocket connections on /ws',
      collect() {
        this.set(sources.connections());
      },
    }),
    subscriptions: metrics.gauge({
      name: 'relaykit_ws_subscriptions',
      help: 'Channel subscriptions over all WebSocket connections',
      collect() {
        this.set(sources.subscriptions());
      },
    }),
    channels: metrics.gauge({
      name: 'relaykit_ws_channels_occupied',
      help: 'Channels with at least one WebSocket subscriber',
      collect() {
        this.set(sources.channels());
      },
    }),
    catchingUp: metrics.gauge({
      name: 'relaykit_ws_catching_up_connections',
      help: 'Connections replaying missed events from the database',
      collect() {
        this.set(sources.catchingUp());
      },
    }),
    framesIn: metrics.counter({ name: 'relaykit_ws_frames_received_total', help: 'Frames received from clients' }),
    pongs: metrics.counter({
      name: 'relaykit_ws_pongs_received_total',
      help: 'Pongs received in answer to heartbeat pings (liveness without frames)',
    }),
    framesOut: metrics.counter({
      name: 'relaykit_ws_frames_sent_total',
      help: 'Frames sent to clients (a pub/sub publish counts once per subscriber)',
    }),
    delivered: metrics.counter({
      name: 'relaykit_ws_events_delivered_total',
      help: 'Event frames delivered, live (pub/sub) or replayed from the database on resume',
      labelNames: ['mode'] as const,
    }),
    errors: metrics.counter({
      name: 'relaykit_ws_protocol_errors_total',
      help: 'Error frames sent to clients, by error code',
      labelNames: ['code'] as const,
    }),
    closes: metrics.counter({
      name: 'relaykit_ws_disconnects_total',
      help: 'Closed connections, by cause',
      labelNames: ['cause'] as const,
    }),
    slowConsumers: metrics.counter({
      name: 'relaykit_ws_slow_consumer_closes_total',
      help: 'Connections closed because their send buffer went over sendBufferBytes',
    }),
    replayDuration: metrics.histogram({
      name: 'relaykit_ws_replay_duration_seconds',
      help: 'How long a resume took from `subscribe` with `since` to live delivery',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    }),
  };
}

export type WsMetrics = ReturnType<typeof createWsMetrics>;

/** Maps a close code to its metric label. */
export function closeCause(code: number): CloseCause {
  switch (code) {
    case 1000:
    case 1001:
    case 1005:
    case 1006:
      return 'client';
    case 1009:
      return 'too_big';
    case 1012:
      return 'restart';
    case 1013:
      return 'overloaded';
    case 4000:
      return 'idle';
    case 4001:
      return 'unauthorized';
    case 4003:
      return 'forbidden';
    case 4008:
      return 'slow_consumer';
    case 4029:
      return 'rate_limited';
    default:
      return 'other';
  }
}
