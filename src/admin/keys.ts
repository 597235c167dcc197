import { Elysia, t } from 'elysia';
import type { AuthService } from '../kernel/auth.ts';
import type { StoredKeys } from '../kernel/identity/stored-keys.ts';
import { errorResponses } from '../kernel/schemas.ts';

const Patterns = (description: string) =>
  t.Array(t.String({ minLength: 1, maxLength: 200 }), { maxItems: 256, description });

const Scopes = t.Object(
  {
    publish: Patterns('Channels the key may publish on'),
    read: Patterns('Channels the key may read (GET /messages?channel=, WebSocket and SSE subscriptions)'),
    to: Patterns('Client ids the key may send direct messages to'),
    actAs: Patterns('Client ids the key may act as: `from`, their inbox, ack and extend'),
    admin: t.Boolean({ description: 'Everything the admin token may do' }),
  },
  { additionalProperties: false, title: 'ApiKeyScopes' },
);

const KeyView = t.Object(
  {
    id: t.String({ description: 'key_…: names the key in this API' }),
    name: t.String({ description: 'Shown in logs; the key acts as client id key:<name>' }),
    scopes: Scopes,
    createdAt: t.String({ format: 'date-time' }),
    lastUsedAt: t.Nullable(t.String({ format: 'date-time', description: 'Last presented (written every 30 s)' })),
    revokedAt: t.Nullable(t.String({ format: 'date-time' })),
  },
  { title: 'ApiKey' },
);

/** `/admin/keys`: API keys created, listed and revoked at runtime, behind the admin token. */
export function keyRoutes(auth: AuthService, keys: StoredKeys) {
  return new Elysia({ name: 'relaykit-admin-keys', detail: { tags: ['admin'], security: [{ adminToken: [] }] } })
    .onBeforeHandle(function requireAdmin({ request }) {
      auth.requireAdmin(request);
    })
    .post(
      '/admin/keys',
      async function createKey({ body, set }) {
        const created = await keys.create(body.name, {
          publish: body.scopes?.publish ?? [],
          read: body.scopes?.read ?? [],
          to: body.scopes?.to ?? [],
          actAs: body.scopes?.actAs ?? [],
          admin: body.scopes?.admin ?? false,
        });
        set.status = 201;
        return created;
      },
      {
        parse: 'json',
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
            scopes: t.Optional(t.Partial(Scopes)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: t.Composite([KeyView, t.Object({ key: t.String({ description: 'The key: shown now, never again' }) })]),
          ...errorResponses(401, 403, 415, 422),
        },
        detail: {
          operationId: 'createApiKey',
          summary: 'Create an API key (shown once; stored as its hash)',
          description:
            'Scopes default to nothing. The key is in this response only: the hub keeps its sha256. Present it as `Authorization: Bearer <key>` (or `?token=` on WebSocket and SSE).',
        },
      },
    )
    .get('/admin/keys', async () => ({ keys: await keys.list() }), {
      response: { 200: t.Object({ keys: t.Array(KeyView) }), ...errorResponses(401, 403) },
      detail: {
        operationId: 'listApiKeys',
        summary: 'List API keys created through the admin API (never the keys)',
      },
    })
    .delete('/admin/keys/:id', ({ params }) => keys.revoke(params.id), {
      params: t.Object({ id: t.String({ maxLength: 64 }) }),
      response: { 200: KeyView, ...errorResponses(401, 403, 404) },
      detail: {
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key',
        description: 'Refused from now on (on other nodes within 30 s); kept in the list with its revocation time.',
      },
    });
}
