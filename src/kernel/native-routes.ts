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
 * The GET routes of `app` a runtime router can serve: the handlers Elysia itself gives
 * Bun's router when an app listens on its own (`createBunRouteHandler`), so a request
 * served this way runs the same compiled route as one that goes through `app.handle`.
 * Left out, and so served through `app.handle`: wildcards, optional parameters, static
 * responses and routes that are not GET.
 */
export function nativeGetRoutes(app: AnyElysia): NativeGetRoute[] {
  const routes: NativeGetRoute[] = [];
  const seen = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== 'GET' || typeof route.handler !== 'function') continue;
    if (/[*?]/.test(route.path) || seen.has(route.path)) continue;
    seen.add(route.path);
    // Compiled on the route's first request, not at every start and swap: Elysia composes
    // each handler (hooks, validators) into code, which was most of a cold start's app build.
    let compiled: ((request: Request) => Response | Promise<Response>) | null = null;
    routes.push({
      template: route.path,
      handle: (request) => {
        compiled ??= createBunRouteHandler(app, route) as (request: Request) => Response | Promise<Response>;
        return compiled(request);
      },
    });
  }
  return routes;
}
