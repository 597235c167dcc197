import { openapi } from '@elysiajs/openapi';
import { type AnyElysia, Elysia } from 'elysia';
import Memoirist from 'memoirist';
import { formatIssue } from '../config/errors.ts';
import { ConfigError } from '../config/load.ts';
import { isStorageUnavailable } from '../storage/postgres/errors.ts';
import { allErrors, type ErrorBody, HubError } from './errors.ts';
import type { Logger } from './logger.ts';
import { refineDocument } from './openapi.ts';

/** Request ids, set by the forwarder (error logs carry them). */
export const requestIds = new WeakMap<Request, string>();

export interface AppParts {
  version: string;
  /** Route groups: the kernel's own first, then each running plugin's, in dependency order. */
  routes: readonly AnyElysia[];
  log: Logger;
  /** OpenAPI tags of the running plugins (a plugin tags its routes with its name). */
  tags?: ReadonlyArray<{ name: string; description?: string }>;
}

/** Tags that describe the kernel's route groups in the OpenAPI document. */
const CORE_TAGS = [
  { name: 'messages', description: 'Send, read and acknowledge messages' },
  { name: 'admin', description: 'Plugins and configuration (admin token)' },
];

/**
 * Builds a fresh HTTP app from the current route groups. Called at every plugin
 * change; the hub swaps the result in with one assignment.
 */
export function buildApp(parts: AppParts): AnyElysia {
  // normalize: false: a schema that says additionalProperties: false refuses unknown fields (422) rather than dropping them.
  const app = new Elysia({ name: 'relaykit-app', normalize: false })
    .use(documentation(parts))
    .onError({ as: 'global' }, function relaykitErrors({ code, error, set, request }) {
      const hubError = toHubError(code, error);
      if (hubError.status >= 500) {
        parts.log.error({ err: error, requestId: requestIds.get(request), url: request.url }, 'request failed');
      }
      set.status = hubError.status;
      set.headers['content-type'] = 'application/json';
      return hubError.toJSON() satisfies ErrorBody;
    });
  for (const group of parts.routes) app.use(group);
  app.compile();
  return app;
}

/**
 * The route templates of an app, for labelling requests (`/messages/:id`, never the
 * raw path). Matching here, in the forwarder, costs a fraction of what a global
 * Elysia `onAfterResponse` hook costs on every request.
 */
export function routeTemplates(app: AnyElysia): Memoirist<string> {
  const router = new Memoirist<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.method === 'WS') continue;
    router.add(route.method, route.path, route.path, { ignoreError: true });
  }
  return router;
}

/**
 * `/openapi` (the reference page) and `/openapi/json` (the document, refined for
 * generated clients by `refineDocument`). A fresh openapi() each build: the plugin
 * caches its document per instance.
 */
function documentation(parts: AppParts): AnyElysia {
  return new Elysia({ name: 'relaykit-openapi' })
    .onAfterHandle(function refineOpenApi({ response }) {
      if (response && typeof response === 'object' && !(response instanceof Response)) return refineDocument(response);
    })
    .use(
      openapi({
        path: '/openapi',
        documentation: {
          info: {
            title: 'Relaykit',
            version: parts.version,
            description: `The Relaykit realtime event hub. Errors share one shape; codes: ${[...allErrors().keys()].join(', ')}.`,
          },
          tags: [...CORE_TAGS, ...(parts.tags ?? [])],
          components: {
            securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
          },
        },
      }),
    );
}

interface ValidationLike {
  type?: string;
  all?: Array<{ path?: string; message?: string; summary?: string }>;
}

/** Maps anything thrown while handling a request to a catalogue error. */
export function toHubError(code: string | number, error: unknown): HubError {
  if (error instanceof HubError) return error;
  // The database went away (PostgreSQL restarting, a failover): 503, the client retries.
  if (isStorageUnavailable(error)) return new HubError('RELAYKIT_ERR_STORAGE_UNAVAILABLE');
  if (error instanceof ConfigError) {
    return new HubError('RELAYKIT_ERR_CONFIG_INVALID', error.issues.map(formatIssue).join('; '), error.issues);
  }
  switch (code) {
    case 'NOT_FOUND':
      return new HubError('RELAYKIT_ERR_ROUTE_NOT_FOUND');
    case 'PARSE':
      return new HubError('RELAYKIT_ERR_MALFORMED_JSON');
    case 'VALIDATION': {
      const v = error as ValidationLike;
      const where = v.type ?? 'body';
      const details = (v.all ?? []).slice(0, 20).map((e) => ({
        in: where,
        path: e.path || '/',
        message: e.summary ?? e.message ?? 'invalid',
      }));
      const first = details[0];
      const message = first
        ? `${where}${first.path === '/' ? '' : first.path}: ${first.message}`
        : `The ${where} does not match the schema`;
      return new HubError(where === 'body' ? 'RELAYKIT_ERR_VALIDATION' : 'RELAYKIT_ERR_BAD_REQUEST', message, details);
    }
    case 'INVALID_COOKIE_SIGNATURE':
    case 'INVALID_FILE_TYPE':
      return new HubError('RELAYKIT_ERR_BAD_REQUEST');
    default:
      if (typeof code === 'number' && code >= 400 && code < 500) return new HubError('RELAYKIT_ERR_BAD_REQUEST');
      return new HubError('RELAYKIT_ERR_INTERNAL');
  }
}
