import type { AnyElysia } from 'elysia';
import { createBunRouteHandler } from 'elysia/adapter/bun/compose';

/** One GET route of an app, as a handler for a runtime router that matched it and set `request.params`. */
export interface NativeGetRoute {
  /** The route template, as Elysia and Bun's router both write it (`/messages/:id`). */
  template: string;
  /** Elysia's own handler for the route (validation, hooks, error mapping), without Elysia's router. */
  handle(request: Request): Response | Promise<Response>;
}

/**
 * A GET route's own answer, for a runtime router that matched the route: the same
 * response the route gives through Elysia, without Elysia's per-request work (parameter
 * decoding, the compiled handler's promise). `undefined` hands the request to Elysia's
 * handler for the route, which answers everything unusual (a malformed parameter) exactly
 * as before. It may throw or reject: the error gets the app's one error answer.
 */
export type DirectGet = (request: Request) => Response | Promise<Response> | undefined;

/** The answer for an error a direct handler threw: the one the app's error hook gives. */
export type ErrorAnswer = (error: unknown, request: Request) => Response;

const directHandlers = new WeakMap<object, DirectGet>();

/**
 * Gives the GET route handler `handler` a direct answer (see `DirectGet`). Used only while
 * the route has no lifecycle hook besides the app's error hook: a plugin that hooks into
 * the route's requests (a `beforeHandle`, a `transform` ...) gets Elysia's handler again.
 */
export function withDirectGet<H extends object>(handler: H, direct: DirectGet): H {
  directHandlers.set(handler, direct);
  return handler;
}

/** Request lifecycle hooks: a route with any of these runs through Elysia's compiled handler. */
const LIFECYCLE = [
  'request',
  'parse',
  'transform',
  'beforeHandle',
  'afterHandle',
  'mapResponse',
  'afterResponse',
  'trace',
] as const;

/** Whether `hooks` (a route's or an app's) holds no request lifecycle hook: an error hook is fine. */
function unhooked(hooks: unknown): boolean {
  if (!hooks || typeof hooks !== 'object') return true;
  const byName = hooks as Record<string, unknown>;
  return LIFECYCLE.every((name) => {
    const hook = byName[name];
    return hook === undefined || (Array.isArray(hook) && hook.length === 0);
  });
}

/**
 * The GET routes of `app` a runtime router can serve: the handlers Elysia itself gives
 * Bun's router when an app listens on its own (`createBunRouteHandler`), so a request
 * served this way runs the same compiled route as one that goes through `app.handle`,
 * or the route's direct answer (`withDirectGet`) when it has one and nothing hooks into it.
 * Left out, and so served through `app.handle`: wildcards, optional parameters, static
 * responses and routes that are not GET.
 */
export function nativeGetRoutes(app: AnyElysia, failed: ErrorAnswer): NativeGetRoute[] {
  const routes: NativeGetRoute[] = [];
  const seen = new Set<string>();
  const appHooked = !unhooked(app.event);
  for (const route of app.routes) {
    if (route.method !== 'GET' || typeof route.handler !== 'function') continue;
    if (/[*?]/.test(route.path) || seen.has(route.path)) continue;
    seen.add(route.path);
    // Compiled on the route's first request, not at every start and swap: Elysia composes
    // each handler (hooks, validators) into code, which was most of a cold start's app build.
    let compiled: ((request: Request) => Response | Promise<Response>) | null = null;
    const viaElysia = (request: Request) => {
      compiled ??= createBunRouteHandler(app, route) as (request: Request) => Response | Promise<Response>;
      return compiled(request);
    };
    const direct = appHooked || !unhooked(route.hooks) ? undefined : directHandlers.get(route.handler);
    routes.push({
      template: route.path,
      handle: direct
        ? (request) => {
            let answer: Response | Promise<Response> | undefined;
            try {
              answer = direct(request);
            } catch (err) {
              return failed(err, request);
            }
            if (answer === undefined) return viaElysia(request);
            return answer instanceof Promise ? answer.catch((err: unknown) => failed(err, request)) : answer;
          }
        : viaElysia,
    });
  }
  return routes;
}
