import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/kernel/plugin.ts';
// The error codes join the catalogue (listed by the OpenAPI document) whether or not the plugin runs.
import './errors.ts';
import { PusherOptions } from './options.ts';

export type { PusherAppConfig, PusherConfig } from './options.ts';
export { PusherCodes, pusherChannel, relaykitChannel } from './protocol.ts';

/**
 * pusher: the Pusher Channels protocol 7 at `/app/{key}` and Pusher's HTTP API at
 * `/apps/{id}/...`, so pusher-js, Laravel Echo and the Pusher server SDKs work with the
 * hub unchanged. Every event (HTTP API or client event) is a Relaykit message on the
 * channel `pusher.{appId}.{channel}`, and every message on such a channel reaches the
 * app's pusher-js subscribers. Disabled unless the config enables it.
 * See docs/plugins/pusher.md.
 */
export default definePlugin({
  name: 'pusher',
  description: 'Pusher Channels protocol 7 and HTTP API for pusher-js, Laravel Echo and Pusher server SDKs',
  options: PusherOptions,
  enabledByDefault: false,
  emits: ['channel.occupied', 'channel.vacated', 'pusher.webhook'],
  eventSchemas: {
    'pusher.webhook': Type.Object(
      {
        appId: Type.String(),
        channel: Type.String({ description: '`pusher.{appId}`' }),
        body: Type.String({ description: "Pusher's `{time_ms, events}` JSON, sent as is to `raw` endpoints" }),
        headers: Type.Record(Type.String(), Type.String(), { description: 'X-Pusher-Key and X-Pusher-Signature' }),
        at: Type.String({ format: 'date-time' }),
      },
      { description: "A batch of a Pusher app's webhook events" },
    ),
  },
  consumes: ['message.sent'],
  async setup(ctx) {
    if (ctx.options.apps.length === 0) throw new Error('plugins.pusher.apps: configure at least one app');
    // Disabled by default: the protocol, the HTTP API and the service load only on a hub that enables it.
    const [{ PusherService }, { pusherRoutes }, { pusherHealthChecks }] = await Promise.all([
      import('./service.ts'),
      import('./http-api.ts'),
      import('./health.ts'),
    ]);
    const service = new PusherService(ctx, process.env);
    const endpoints = [service.endpoint];
    return {
      start: () => service.start(),
      stop: (reason) => service.stop(reason),
      routes: () => pusherRoutes(service),
      websockets: () => endpoints,
      health: () => pusherHealthChecks(service),
    };
  },
});
