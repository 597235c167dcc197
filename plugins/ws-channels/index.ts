import { definePlugin } from '../../src/kernel/plugin.ts';
import { wsAsyncApi } from './asyncapi.ts';
import { wsHealthChecks } from './health.ts';
import { WsChannelsOptions } from './options.ts';
import { wsRoutes } from './routes.ts';
import { WsService } from './service.ts';

export type { WsChannelsConfig } from './options.ts';
export { CloseCodes, WsErrors } from './protocol.ts';

/**
 * ws-channels: WebSocket channels at `/ws`.
 *
 * Clients subscribe to channels and receive the hub's messages live, fanned out
 * with the runtime's native pub/sub (one publish per channel). A client that
 * reconnects subscribes with `since` (the last event-log id it saw) and first gets
 * what it missed from the database, then live events: no gap, no duplicate. The
 * hub's own events are readable as `$hub:` system channels by admin and `system`
 * tokens. See docs/plugins/ws-channels.md and docs/protocols/ws.md.
 */
export default definePlugin({
  name: 'ws-channels',
  description: 'WebSocket channels at /ws with JWT auth, resume without loss, presence and slow-consumer protection',
  options: WsChannelsOptions,
  emits: ['client.connected', 'client.disconnected', 'channel.occupied', 'channel.vacated'],
  consumes: ['message.sent'],
  setup(ctx) {
    const { heartbeat } = ctx.options;
    if (heartbeat.idleTimeoutMs <= heartbeat.intervalMs) {
      throw new Error(
        `heartbeat.idleTimeoutMs (${heartbeat.idleTimeoutMs}) must be longer than heartbeat.intervalMs (${heartbeat.intervalMs}), or every client would time out between two pings`,
      );
    }
    const service = new WsService(ctx);
    const endpoints = [service.endpoint];
    return {
      start: () => service.start(),
      stop: (reason) => service.stop(reason),
      routes: () => wsRoutes(service),
      websockets: () => endpoints,
      health: () => wsHealthChecks(service),
      asyncapi: wsAsyncApi,
    };
  },
});
