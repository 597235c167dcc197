import { Elysia, t } from 'elysia';
import type { LimitsConfig } from '../config/schema.ts';
import type { AuthService } from '../kernel/auth.ts';
import type { PluginChange } from '../kernel/host.ts';
import { Integer } from '../kernel/integer.ts';
import type { PluginStatus } from '../kernel/plugin.ts';
import { errorResponses } from '../kernel/schemas.ts';

export interface AdminApi {
  auth: AuthService;
  plugins(): PluginStatus[];
  patch(name: string, patch: { enabled?: boolean; options?: Record<string, unknown> }): Promise<PluginChange[]>;
  reload(): Promise<PluginChange[]>;
  /** The quotas and limits in force, and how many callers they track. */
  limits(): AdminLimits | Promise<AdminLimits>;
}

/** `GET /admin/limits`: the `limits` and body settings in force. */
export interface AdminLimits {
  limits: LimitsConfig;
  maxBodyBytes: number;
  maxJsonDepth: number;
  bodyTimeoutMs: number;
  /** Identities (keys, JWT subjects, IPs) with a quota bucket right now. */
  trackedCallers: number;
  /** WebSockets and streams counted against the connection caps right now. */
  openConnections: number;
  /** Requests and frames refused by a quota since start, by reason. */
  rateLimited: Record<string, number>;
}

const PluginStatusSchema = t.Object(
  {
    name: t.String(),
    enabled: t.Boolean(),
    state: t.Union([t.Literal('running'), t.Literal('stopped'), t.Literal('failed')]),
    builtin: t.Boolean(),
    description: t.Optional(t.String()),
    dependencies: t.Array(t.String()),
    emits: t.Array(t.String()),
    consumes: t.Array(t.String()),
    options: t.Record(t.String(), t.Unknown(), { description: 'Effective options; secrets are redacted' }),
    error: t.Optional(t.String({ description: 'Why the last start failed' })),
  },
  { title: 'PluginStatus' },
);

const ChangeSchema = t.Object({
  name: t.String(),
  kind: t.Union([t.Literal('enabled'), t.Literal('disabled'), t.Literal('reconfigured'), t.Literal('restarted')]),
});

const ApplyResult = t.Object({ changes: t.Array(ChangeSchema), plugins: t.Array(PluginStatusSchema) });

/** `/admin`: plugins and configuration, behind the admin token. */
export function adminRoutes(api: AdminApi) {
  return new Elysia({ name: 'relaykit-admin', detail: { tags: ['admin'], security: [{ adminToken: [] }] } })
    .onBeforeHandle(function requireAdmin({ request }) {
      api.auth.requireAdmin(request);
    })
    .get('/admin/plugins', () => api.plugins(), {
      response: { 200: t.Array(PluginStatusSchema), ...errorResponses(401, 403) },
      detail: { operationId: 'listPlugins', summary: 'List plugins with their state and effective options' },
    })
    .patch(
      '/admin/plugins/:name',
      async function patchPlugin({ params, body }) {
        const changes = await api.patch(params.name, body);
        return { changes, plugins: api.plugins() };
      },
      {
        parse: 'json',
        params: t.Object({ name: t.String() }),
        body: t.Object(
          {
            enabled: t.Optional(t.Boolean()),
            options: t.Optional(
              t.Record(t.String(), t.Unknown(), {
                description: 'Partial options, merged into the current ones (null removes a field)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ApplyResult, ...errorResponses(400, 401, 403, 404, 409, 422) },
        detail: {
          operationId: 'updatePlugin',
          summary: 'Enable, disable or reconfigure a plugin live',
          description:
            'All or nothing: when the new options are invalid or the plugin fails to start, the previous plugins keep serving and the error is returned. In a cluster (other live nodes on the same PostgreSQL database) the change is refused with 409 RELAYKIT_ERR_CLUSTER_SHARED_CONFIG: change the shared config file instead (docs/cluster.md).',
        },
      },
    )
    .get('/admin/limits', () => api.limits(), {
      response: {
        200: t.Object({
          limits: t.Record(t.String(), t.Number()),
          maxBodyBytes: Integer(),
          maxJsonDepth: Integer(),
          bodyTimeoutMs: Integer(),
          trackedCallers: Integer(),
          openConnections: Integer(),
          rateLimited: t.Record(t.String(), t.Number()),
        }),
        ...errorResponses(401, 403),
      },
      detail: { operationId: 'getLimits', summary: 'Quotas and body limits in force, and what they refused' },
    })
    .post(
      '/admin/reload',
      async function reloadConfig() {
        const changes = await api.reload();
        return { changes, plugins: api.plugins() };
      },
      {
        response: { 200: ApplyResult, ...errorResponses(401, 403, 422) },
        detail: { operationId: 'reloadConfig', summary: 'Re-read the config file and apply it' },
      },
    );
}
