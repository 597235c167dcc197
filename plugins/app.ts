/**
 * The static type of the hub's HTTP API with every built-in plugin enabled, for
 * Elysia's Eden Treaty:
 *
 * ```ts
 * import { treaty } from '@elysiajs/eden';
 * import type { App } from 'relaykit/app';
 *
 * const hub = treaty<App>('http://127.0.0.1:3000');
 * const { data, error } = await hub.messages.post({ channel: 'tasks', type: 'task.created', payload: {} });
 * ```
 *
 * The running hub assembles its app at runtime (the kernel's route groups, then each
 * running plugin's, rebuilt at every plugin change), so its type cannot come from the
 * hub. It is composed here from the same route-group factories the hub calls, in the
 * same order, and so describes the same document as `relaykit openapi`. A plugin
 * that is disabled answers 404, as with the generated OpenAPI client.
 */
import { Elysia } from 'elysia';
import { adminRoutes } from '../src/admin/routes.ts';
import { messageRoutes } from '../src/messages/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { sseRoutes } from './sse/routes.ts';
import { ttlRoutes } from './ttl/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { wsRoutes } from './ws-channels/routes.ts';

/** Every route group's factory, by its OpenAPI tag: the kernel's, then the built-in plugins' in start order. */
const groups = {
  messages: messageRoutes,
  admin: adminRoutes,
  'ws-channels': wsRoutes,
  sse: sseRoutes,
  webhooks: webhookRoutes,
  ttl: ttlRoutes,
  metrics: metricsRoutes,
  health: healthRoutes,
};

/** The OpenAPI tags `App` covers (a test checks they are all the document has). */
export const APP_TAGS: readonly string[] = Object.keys(groups);

type Groups = { [Tag in keyof typeof groups]: ReturnType<(typeof groups)[Tag]> };

/** Composes the groups as the hub's `buildApp` does; only its return type is used. */
function compose(g: Groups) {
  return new Elysia()
    .use(g.messages)
    .use(g.admin)
    .use(g['ws-channels'])
    .use(g.sse)
    .use(g.webhooks)
    .use(g.ttl)
    .use(g.metrics)
    .use(g.health);
}

/** The hub's HTTP API (every built-in plugin enabled) as one Elysia app type. */
export type App = ReturnType<typeof compose>;
