import { Elysia, t } from 'elysia';
import { type AuthService, errorResponses, HubError, MessageSchema, requireCanonicalId } from '../../src/index.ts';
import { Integer } from '../../src/kernel/integer.ts';
import type { Policy } from './policies.ts';
import type { TtlService } from './service.ts';

const PolicySchema = t.Object(
  {
    name: t.String({ description: 'Preset or custom name, or the duration as configured (`15m`)' }),
    kind: t.Union([t.Literal('duration'), t.Literal('immediate'), t.Literal('permanent')]),
    seconds: t.Nullable(Integer({ description: 'Lifetime of a `duration` policy' })),
    preset: t.Boolean(),
    description: t.String(),
  },
  { title: 'TtlPolicy' },
);

const PoliciesResponse = t.Object({
  defaultPolicy: PolicySchema,
  matching: t.Literal('most-specific', {
    description: 'Exact types beat patterns; then more literal characters; then the earlier rule',
  }),
  maxTtlSeconds: Integer(),
  overMaxTtl: t.Union([t.Literal('cap'), t.Literal('reject')]),
  immediateMaxAgeSeconds: Integer(),
  policies: t.Array(PolicySchema, { description: 'Presets, then custom policies' }),
  rules: t.Array(t.Object({ type: t.String(), policy: PolicySchema }), { description: 'In evaluation order' }),
  resolved: t.Optional(
    t.Object({
      type: t.String(),
      rule: t.Nullable(t.String({ description: 'The matching rule, or null for the default policy' })),
      policy: PolicySchema,
    }),
  ),
});

const StatsResponse = t.Object({
  since: t.String({ format: 'date-time', description: 'When this plugin instance started (counters start there)' }),
  expired: Integer({ description: 'Messages deleted as expired since `since`' }),
  archived: Integer({ description: 'Messages archived before deletion since `since`' }),
  pruned: Integer({ description: 'Archive rows removed after their retention since `since`' }),
  pendingExpiry: Integer({ description: 'Expired messages not yet deleted (hidden from every read already)' }),
  scheduled: Integer({ description: 'Messages with a future expiry' }),
  archiveRows: Integer({ description: 'Rows in the archive table' }),
  countLimit: Integer({ description: 'Counts stop at this value' }),
  nextExpiry: t.Nullable(t.String({ format: 'date-time', description: 'The next future expiry' })),
  lagSeconds: t.Number({ description: 'Age of the oldest expired message still stored (0: caught up)' }),
  sweeper: t.Object({
    running: t.Boolean(),
    sweeps: Integer(),
    batchSize: Integer({ description: 'Current batch size (adapted to sweeper.targetBatchMs)' }),
    lastSweepAt: t.Nullable(t.String({ format: 'date-time' })),
    lastSweepMs: t.Nullable(t.Number()),
    lastError: t.Nullable(t.String()),
  }),
});

const ArchivedMessageSchema = t.Object(
  {
    id: Integer(),
    from: t.Nullable(t.String()),
    to: t.Nullable(t.String()),
    channel: t.Nullable(t.String()),
    type: t.String(),
    payload: t.Unknown(),
    createdAt: t.String({ format: 'date-time' }),
    expiresAt: t.String({ format: 'date-time' }),
    deliveredAt: t.Nullable(t.String({ format: 'date-time' })),
    archivedAt: t.String({ format: 'date-time' }),
  },
  { title: 'ArchivedMessage' },
);

const ExtendBody = t.Object(
  {
    seconds: t.Optional(Integer({ minimum: 1, description: 'Seconds added to the current expiry' })),
    policy: t.Optional(
      t.String({
        minLength: 1,
        description: 'A policy (`LONG`, a custom name, `2h`): the message lives that long from now',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of `seconds` and `policy`' },
);

/** `/ttl/*` and `POST /messages/{id}/extend`. */
export function ttlRoutes(service: TtlService, auth: AuthService) {
  const admin = new Elysia({ name: 'relaykit-ttl-admin', detail: { tags: ['ttl'], security: [{ adminToken: [] }] } })
    .onBeforeHandle(function requireAdmin({ request }) {
      auth.requireAdmin(request);
    })
    .get('/ttl/stats', () => service.stats(), {
      response: { 200: StatsResponse, ...errorResponses(401, 403) },
      detail: { operationId: 'getRetentionStats', summary: 'Retention counters, pending expiries and sweeper lag' },
    })
    .get(
      '/ttl/archive',
      async function listArchived({ query }) {
        const page = await service.archived({ type: query.type, after: query.after, limit: query.limit ?? 100 });
        const last = page.at(-1);
        return { messages: page, nextCursor: last ? last.id : (query.after ?? null) };
      },
      {
        query: t.Object({
          type: t.Optional(t.String({ description: 'Only archived messages of this type' })),
          after: t.Optional(Integer({ minimum: 0, description: 'Cursor: only messages with a larger id' })),
          limit: t.Optional(Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: t.Object({ messages: t.Array(ArchivedMessageSchema), nextCursor: t.Nullable(Integer()) }),
          ...errorResponses(400, 401, 403),
        },
        detail: {
          operationId: 'listArchivedMessages',
          summary: 'Page through archived (expired) messages in id order',
        },
      },
    );

  return new Elysia({ name: 'relaykit-ttl', detail: { tags: ['ttl'] } })
    .get(
      '/ttl/policies',
      function listPolicies({ query }) {
        const { policies } = service;
        return {
          defaultPolicy: policies.fallback,
          matching: 'most-specific' as const,
          ...service.limits(),
          policies: [...policies.named.values()],
          rules: policies.rules.map((r) => ({ type: r.type, policy: r.policy })),
          ...(query.type === undefined ? {} : { resolved: resolved(service, query.type) }),
        };
      },
      {
        query: t.Object({ type: t.Optional(t.String({ description: 'Also show which policy this type gets' })) }),
        response: { 200: PoliciesResponse, ...errorResponses(400) },
        detail: { operationId: 'listRetentionPolicies', summary: 'Retention policies, rules and limits in force' },
      },
    )
    .post(
      '/messages/:id/extend',
      async function extendMessage({ params, body, request }) {
        requireCanonicalId(request);
        if ((body.seconds === undefined) === (body.policy === undefined)) {
          throw new HubError('RELAYKIT_ERR_VALIDATION', 'body: give exactly one of `seconds` and `policy`', [
            { in: 'body', path: '/', message: 'exactly one of `seconds` and `policy` is required' },
          ]);
        }
        const wanted = body.seconds !== undefined ? { seconds: body.seconds } : { policy: body.policy as string };
        return service.extend(params.id, wanted, await auth.identify(request));
      },
      {
        parse: 'json',
        params: t.Object({ id: Integer({ minimum: 1, description: 'Message id' }) }),
        body: ExtendBody,
        response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404, 422) },
        detail: {
          operationId: 'extendMessage',
          summary: "Extend a message's life",
          description:
            '`seconds` are added to the current expiry; a `policy` counts from now. Never shortens; a permanent message is returned unchanged. Without the admin token the result is held to `maxTtlSeconds` from now (capped or 422, per `overMaxTtl`).',
        },
      },
    )
    .use(admin);
}

function resolved(service: TtlService, type: string): { type: string; rule: string | null; policy: Policy } {
  const { policy, rule } = service.policies.resolve(type);
  return { type, rule: rule ? rule.type : null, policy };
}
