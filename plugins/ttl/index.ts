import { definePlugin } from '../../src/index.ts';
import { TtlOptions } from './options.ts';
import { ttlRoutes } from './routes.ts';
import { TtlService } from './service.ts';
import { ttlTables } from './tables.ts';

export type { ArchivedMessage } from './archive.ts';
export { TtlOptions } from './options.ts';
export type { Policy } from './policies.ts';
export { PRESETS } from './policies.ts';
export { TtlErrors, type TtlStats } from './service.ts';

/**
 * Message retention: sets each message's expiry from policies per message type
 * (IMMEDIATE, SHORT, MEDIUM, LONG, PERMANENT and custom durations), deletes expired
 * messages in small batches in the background, optionally archives them first, and
 * publishes `message.expired`. Reads are exact before any sweep: the kernel already
 * hides messages past their `expires_at`.
 */
export default definePlugin({
  name: 'ttl',
  description: 'Message retention: policies per type, a batched sweeper and an archive',
  options: TtlOptions,
  emits: ['message.expired', 'error.occurred'],
  consumes: [],
  async setup(ctx) {
    const service = new TtlService(ctx, await ctx.storage.tables(ttlTables));
    return {
      messageHooks: service.hooks,
      start: () => service.start(),
      stop: () => service.stop(),
      routes: () => ttlRoutes(service, ctx.auth),
      health: () => service.health(),
    };
  },
});
