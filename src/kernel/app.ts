import { type AnyElysia, Elysia } from 'elysia';
import Memoirist from 'memoirist';
import { formatIssue } from '../config/errors.ts';
import { ConfigError } from '../config/load.ts';
import { storageFault } from '../storage/faults.ts';
import { isStorageUnavailable } from '../storage/postgres/errors.ts';
import { type AsyncApiFragment, asyncApiRoutes } from './asyncapi.ts';
import { errorResponse, HubError, storageFaultError } from './errors.ts';
import type { Logger } from './logger.ts';
import { viewerRoutes } from './openapi-viewer.ts';

/** Request ids, set by the forwarder (error logs carry them). */
export const requestIds = new WeakMap<Request, string>();
/** Where each forwarded request came from, read only when asked (quotas of anonymous callers). */
export const requestOrigins = new WeakMap<Request, { readonly remoteAddress: string }>();

/** The client address of a request the front forwarded ('unknown' otherwise). */
export function remoteAddressOf(request: Request): string {
  return requestOrigins.get(request)?.remoteAddress ?? 'unknown';
}

export interface AppParts {
  version: string;
  /** Route groups: the kernel's own first, then each running plugin's, in dependency order. */
  routes: readonly AnyElysia[];
  log: Logger;
  /** OpenAPI tags of the running plugins (a plugin tags its routes with its name). */
  tags?: ReadonlyArray<{ name: string; description?: string }>;
  /** AsyncAPI fragments of the running plugins, for `/asyncapi.json` (asked for at its first request). */
  asyncapi?: () => readonly AsyncApiFragment[];
  /** The running plugins' OpenAPI `webhooks` entries (outgoing requests), built with the document. */
  webhooks?: () => Record<string, unknown>;
}

/**
 * Builds a fresh HTTP app from the current route groups. Called at every plugin
 * change; the hub swaps the result in with one assignment.
 */
export function buildApp(parts: AppParts): AnyElysia {
  // normalize: false: a schema that says additionalProperties: false refuses unknown fields (422) rather than dropping them.
  const app = new Elysia({ name: 'relaykit-app', normalize: false })
    .use(documentation(parts))
    .use(asyncApiRoutes({ version: parts.version, fragments: parts.asyncapi ?? (() => []) }))
    // The hook answers with a Response and never touches `set`: Elysia infers from a
    // global hook's arguments what every route needs, and a hook that writes `set`
    // makes every successful response go through the slower set-aware mapping.
    .onError({ as: 'global' }, function relaykitErrors({ code, error, request }) {
      return errorAnswer(parts.log, code, error, request);
    });
  for (const group of parts.routes) app.use(group);
  // Not `app.compile()`: Elysia composes the fetch handler on the first request that
  // reaches `app.handle` (Bun's router serves the GET routes without it), off the way to ready.
  return app;
}

/**
 * The one answer for anything thrown while handling a request: the app's error hook's,
 * and the kernel's for a route's direct handler (native-routes.ts). Server faults are
 * logged with the request id.
 */
export function errorAnswer(log: Logger, code: string | number, error: unknown, request: Request): Response {
  const hubError = toHubError(code, error);
  if (hubError.status >= 500) {
    log.error({ err: error, requestId: requestIds.get(request), url: request.url }, 'request failed');
  }
  return errorResponse(hubError);
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
 * `/openapi` (the reference page, from the viewer bundled with the hub: see
 * openapi-viewer.ts) and `/openapi/json` (the document), the latter answered by the
 * documentation app (src/kernel/docs.ts) over the same route groups. It is built on
 * the first request for either path and kept for the life of this build, so serving
 * the document costs the hot path nothing and the first response no module loading.
 */
function documentation(parts: AppParts): AnyElysia {
  let docs: Promise<AnyElysia> | undefined;
  const serveDocumentation = ({ request }: { request: Request }): Promise<Response> => {
    docs ??= import('./docs.ts').then(
      (m) => m.documentationApp(parts),
      (err: unknown) => {
        docs = undefined;
        throw err;
      },
    );
    // Always a GET: for HEAD the serving app drops the body and sets content-length from this response.
    return docs.then((app) => app.handle(new Request(request.url, { headers: request.headers })));
  };
  return new Elysia({ name: 'relaykit-openapi' })
    .use(viewerRoutes())
    .get('/openapi/json', serveDocumentation, { detail: { hide: true } });
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
  const fault = storageFault(error);
  if (fault) return storageFaultError(fault);
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
