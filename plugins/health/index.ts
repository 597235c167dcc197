import { Type } from '@sinclair/typebox';
import type { HealthStatus } from '../../src/kernel/health.ts';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { HealthOptionsSchema } from './options.ts';
import { healthRoutes } from './routes.ts';
import { HealthService } from './service.ts';

export type { ExternalCheckOptions, HealthOptions } from './options.ts';
export type { CheckEntry, HealthDocument } from './report.ts';

declare module '../../src/kernel/events.ts' {
  interface RelaykitEvents {
    /** The checks' overall verdict changed (pass, warn, fail); `failing` names the failing checks. */
    'health.changed': { status: HealthStatus; previous: HealthStatus; failing: string[]; at: string };
  }
}

/**
 * Kubernetes probes (`/health/live`, `/health/ready`, `/health/startup`) and the full
 * status as application/health+json. Runs the kernel's and every plugin's checks plus
 * its own (plugin states, event loop, memory, CPU, disk, external dependencies) on an
 * interval and answers probes from the cache.
 */
export default definePlugin({
  name: 'health',
  description: 'Kubernetes liveness, readiness and startup probes and application/health+json status',
  options: HealthOptionsSchema,
  emits: ['health.changed'],
  eventSchemas: {
    'health.changed': Type.Object(
      {
        status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
        previous: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
        failing: Type.Array(Type.String(), { description: 'The failing checks' }),
        at: Type.String({ format: 'date-time' }),
      },
      { description: "The health checks' overall verdict changed" },
    ),
  },
  consumes: ['plugin.enabled', 'plugin.disabled', 'plugin.reconfigured'],
  setup(ctx) {
    const service = new HealthService(ctx);
    return {
      start: () => service.start(),
      stop: () => service.stop(),
      routes: () => healthRoutes(service, ctx.auth, ctx.options.detailsRequireAdmin),
    };
  },
});
