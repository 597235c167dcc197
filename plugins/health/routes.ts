import { Elysia, t } from 'elysia';
import type { AuthService } from '../../src/kernel/auth.ts';
import { errorResponses } from '../../src/kernel/schemas.ts';
import { HEALTH_JSON, type Probe } from './report.ts';
import type { HealthService } from './service.ts';

const Status = t.Union([t.Literal('pass'), t.Literal('warn'), t.Literal('fail')]);

const CheckEntrySchema = t.Object({
  componentType: t.String({ description: '`datastore`, `system`, `component`, ...' }),
  status: Status,
  observedValue: t.Optional(t.Union([t.Number(), t.String(), t.Boolean()])),
  observedUnit: t.Optional(t.String()),
  time: t.String({ format: 'date-time', description: 'When the value was observed' }),
  output: t.Optional(t.String({ description: 'Why the check does not pass' })),
  affectsReadiness: t.Boolean({ description: 'Relaykit extension: whether a fail makes the hub not ready' }),
});

export const HealthDocumentSchema = t.Object(
  {
    status: Status,
    version: t.String(),
    releaseId: t.String(),
    description: t.String(),
    output: t.Optional(t.String({ description: 'Why the status is not pass' })),
    notes: t.Optional(t.Array(t.String())),
    checks: t.Optional(
      t.Record(t.String(), t.Array(CheckEntrySchema), { description: 'Keyed by `component:measurement`' }),
    ),
  },
  { title: 'HealthCheckResponse', description: 'application/health+json (draft-inadarei-api-health-check)' },
);

const probeResponses = { 200: HealthDocumentSchema, 503: HealthDocumentSchema };

function respond(probe: Probe): Response {
  return new Response(JSON.stringify(probe.body), {
    status: probe.httpStatus,
    headers: { 'content-type': HEALTH_JSON, 'cache-control': 'no-store' },
  });
}

/** The Kubernetes probes and the full status, all answered from cached check results. */
export function healthRoutes(service: HealthService, auth: AuthService, detailsRequireAdmin: boolean) {
  return new Elysia({ name: 'relaykit-health', detail: { tags: ['health'] } })
    .get('/health/live', () => respond(service.liveness()), {
      response: probeResponses,
      detail: {
        operationId: 'checkLiveness',
        summary: 'Liveness probe: 200 while the process answers',
        description: 'Checks nothing else: a dependency that fails must not restart the pod.',
      },
    })
    .get('/health/ready', () => respond(service.readiness()), {
      response: probeResponses,
      detail: {
        operationId: 'checkReadiness',
        summary: 'Readiness probe: 200 when ready, 503 while starting, draining or a readiness check fails',
        description: 'Lists the checks that affect readiness, from the cache (checks run every `intervalMs`).',
      },
    })
    .get('/health/startup', () => respond(service.startup()), {
      response: probeResponses,
      detail: {
        operationId: 'checkStartup',
        summary: 'Startup probe: 200 once migrations ran and the plugins started',
      },
    })
    .get(
      '/health/status',
      function healthStatus({ request }) {
        if (detailsRequireAdmin) auth.requireAdmin(request);
        return respond(service.status());
      },
      {
        response: { ...probeResponses, ...errorResponses(401, 403) },
        detail: {
          operationId: 'getHealth',
          summary: 'Every health check as application/health+json',
          description:
            'status is fail (503) when the hub is not ready, warn when a check warns or a check that does not affect readiness fails, else pass.',
        },
      },
    );
}
