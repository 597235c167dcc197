import type { AnyElysia } from 'elysia';
import type Memoirist from 'memoirist';
import type { CorsConfig } from '../config/schema.ts';
import type { NativeRouteHandler, NativeRoutes, RequestInfo } from '../runtime/types.ts';
import { requestIds, requestOrigins } from './app.ts';
import { applyCors, preflight, websocketOriginRefusal } from './cors.ts';
import { errorResponse, HubError } from './errors.ts';
import { BODY_METHODS, type BodyLimits, guardBody } from './limits.ts';
import { type ErrorAnswer, type NativeGetRoute, nativeGetRoutes } from './native-routes.ts';
import type { WebSocketEndpoint } from './plugin.ts';

/** How long an EventSource request made while the hub starts waits for it (then 503). */
const STREAM_START_WAIT_MS = 10_000;

export interface FrontOptions {
  /** The current body limits (server.maxBodyBytes, server.maxJsonDepth). */
  bodyLimits(): BodyLimits;
  /** Whether new WebSocket connections are accepted (the hub is ready). */
  acceptingWebSockets(): boolean;
  /** Whether the hub is still starting its plugins: everything answers 503 until then. */
  starting(): boolean;
  /**
   * Resolves once the hub has started (or given up), or after `ms`. EventSource
   * requests wait for it instead of reading 503: a browser's EventSource retries
   * network errors by itself but gives up for good on a 503, so a stream that
   * reconnects while a restarted hub starts its plugins would stay dead.
   */
  started(ms: number): Promise<void>;
  /** False once shutdown stops accepting: requests still arriving on open connections get 503. */
  accepting(): boolean;
  /** Which browser origins may call the hub (server.cors). */
  cors(): CorsConfig;
  /** Called once per answered request with its route template (`unmatched` when none). */
  observe(request: Request, route: string, status: number, seconds: number, requestId: string): void;
  /** The answer for an error a route's direct handler threw: the app's error hook's (native-routes.ts). */
  failed: ErrorAnswer;
}

/**
 * The server's one handler. It forwards every request to the current app, or an
 * upgrade to the current WebSocket endpoint at its path; the hub swaps both at
 * every plugin change. The listening socket never sees the swap.
 *
 * On a runtime with its own router (Bun), the app's GET routes are also handed to
 * that router at every swap: a plain GET it matches skips Elysia's router and the
 * route template lookup here, and runs the same compiled route with the same request
 * id, metrics and CORS. Anything else on those paths (HEAD, an upgrade, the hub
 * starting or shutting down) takes the general path.
 */
export class Front {
  /** Null until the hub has started its plugins and built the app: until then everything answers 503. */
  private app: AnyElysia | null = null;
  private websockets = new Map<string, WebSocketEndpoint>();
  private routes: (() => Memoirist<string>) | null = null;
  private inflightCount = 0;
  private installNative: ((routes: NativeRoutes) => void) | null = null;

  constructor(private readonly options: FrontOptions) {}

  /** Requests being handled right now (streams that outlive their handler are not counted). */
  get inflight(): number {
    return this.inflightCount;
  }

  /**
   * Swaps in a new app, its route templates (built on first use: only requests outside
   * the runtime's router need them) and WebSocket endpoints.
   */
  swap(app: AnyElysia, routes: () => Memoirist<string>, websockets: ReadonlyMap<string, WebSocketEndpoint>): void {
    this.app = app;
    this.routes = routes;
    this.websockets = new Map(websockets);
    this.installNative?.(this.nativeRoutes(app));
  }

  /** Hands the current app's GET routes, and those of every later swap, to the runtime's router. */
  useNativeRouter(install: (routes: NativeRoutes) => void): void {
    this.installNative = install;
    if (this.app) install(this.nativeRoutes(this.app));
  }

  private nativeRoutes(app: AnyElysia): NativeRoutes {
    const routes: Record<string, NativeRouteHandler> = {};
    for (const route of nativeGetRoutes(app, this.options.failed)) {
      routes[route.template] = (request, info) => this.handleNative(request, info, route);
    }
    return routes;
  }

  /** A request the runtime's router matched to `route`. */
  private handleNative(
    request: Request,
    info: RequestInfo,
    route: NativeGetRoute,
  ): Response | Promise<Response | undefined> | undefined {
    // Everything `handle` treats specially before forwarding goes through it.
    if (
      request.method !== 'GET' ||
      !this.options.accepting() ||
      this.options.starting() ||
      request.headers.get('upgrade') !== null ||
      !routable(request.url)
    ) {
      return this.handle(request, info);
    }
    return this.forward(request, info, route.template, () => route.handle(request));
  }

  readonly handle = (original: Request, info: RequestInfo): Response | Promise<Response | undefined> | undefined => {
    const request = withRoutablePath(original);
    if (!this.options.accepting()) {
      return errorResponse(new HubError('RELAYKIT_ERR_UNAVAILABLE', 'The hub is shutting down'), {
        connection: 'close',
      });
    }
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') return this.upgrade(request, info);
    const preflighted = preflight(request, this.options.cors());
    if (preflighted) return preflighted;
    // Until the plugins have started there is nothing to serve: probes and clients read 503 "starting".
    if (this.options.starting()) {
      if (request.method === 'GET' && request.headers.get('accept')?.includes('text/event-stream')) {
        return this.options
          .started(STREAM_START_WAIT_MS)
          .then(() =>
            this.options.starting()
              ? errorResponse(new HubError('RELAYKIT_ERR_UNAVAILABLE', 'The hub is starting'), { 'retry-after': '1' })
              : this.handle(original, info),
          );
      }
      return errorResponse(new HubError('RELAYKIT_ERR_UNAVAILABLE', 'The hub is starting'), { 'retry-after': '1' });
    }
    // Only requests with a body need the (async) body guard; the GET hot path stays synchronous here.
    if (request.body !== null && BODY_METHODS.has(request.method)) return this.handleWithBody(request, info);
    return this.dispatch(request, info);
  };

  private async handleWithBody(request: Request, info: RequestInfo): Promise<Response> {
    const guarded = await guardBody(request, this.options.bodyLimits());
    return guarded instanceof Response
      ? applyCors(request, guarded, this.options.cors())
      : this.dispatch(guarded, info);
  }

  private dispatch(request: Request, info: RequestInfo): Response | Promise<Response> {
    const app = this.app;
    // No app yet: the hub stopped before it finished starting.
    if (!app) return errorResponse(new HubError('RELAYKIT_ERR_UNAVAILABLE', 'The hub is starting'));
    return this.forward(request, info, null, () => app.handle(request));
  }

  /**
   * Runs `handler` for the request with a request id, counts it in flight, and labels its
   * latency with `template` (looked up in the current routes when the router did not say).
   * A handler that answers at once is finished at once: no promise, no turn of the queue.
   */
  private forward(
    request: Request,
    info: RequestInfo,
    template: string | null,
    handler: () => Response | Promise<Response>,
  ): Response | Promise<Response> {
    requestOrigins.set(request, info);
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    const start = performance.now();
    requestIds.set(request, requestId);
    this.inflightCount++;
    const routes = this.routes;
    let handled: Response | Promise<Response>;
    try {
      handled = handler();
    } catch (err) {
      this.inflightCount--;
      return Promise.reject(err);
    }
    const finish = (response: Response): Response => {
      this.inflightCount--;
      this.options.observe(
        request,
        template ?? routes?.().find(request.method, pathOf(request.url))?.store ?? 'unmatched',
        response.status,
        (performance.now() - start) / 1000,
        requestId,
      );
      try {
        response.headers.set('x-request-id', requestId);
      } catch {
        // Immutable headers (a plugin returned a shared Response): the id is still in the logs.
      }
      return applyCors(request, response, this.options.cors());
    };
    if (!(handled instanceof Promise)) return finish(handled);
    return handled.then(finish, (err: unknown) => {
      this.inflightCount--;
      throw err;
    });
  }

  private async upgrade(request: Request, info: RequestInfo): Promise<Response | undefined> {
    const endpoint = endpointFor(this.websockets, new URL(request.url).pathname);
    if (!endpoint) {
      return errorResponse(new HubError('RELAYKIT_ERR_ROUTE_NOT_FOUND', 'No WebSocket endpoint at this path'));
    }
    if (!this.options.acceptingWebSockets()) return errorResponse(new HubError('RELAYKIT_ERR_UNAVAILABLE'));
    const refused = endpoint.checksOrigin ? null : websocketOriginRefusal(request, this.options.cors());
    if (refused) return refused;
    const decision = await endpoint.upgrade(request, info.remoteAddress);
    if (decision instanceof Response) return decision;
    return info.upgrade(request, endpoint.handlers, decision);
  }
}

/**
 * The endpoint serving `path`: the one registered at exactly that path, else one registered
 * as `<parent>/*`, which serves any single last segment (`/app/*` serves `/app/my-key`).
 */
function endpointFor(endpoints: ReadonlyMap<string, WebSocketEndpoint>, path: string): WebSocketEndpoint | undefined {
  const exact = endpoints.get(path);
  if (exact) return exact;
  const slash = path.lastIndexOf('/');
  return slash > 0 ? endpoints.get(`${path.slice(0, slash)}/*`) : undefined;
}

/**
 * Elysia 1.4 finds the path by searching for `/` from the 12th character of the URL,
 * so `http://api/messages` (a Host header of 3 characters or fewer, like a Kubernetes
 * service named `api` on port 80) routes to `/` + garbage and answers 404. Such
 * requests get an equivalent URL with a longer host; the Host header is untouched.
 */
export function withRoutablePath(request: Request): Request {
  const url = request.url;
  if (routable(url)) return request;
  const hostStart = url.indexOf('//') + 2;
  return new Request(`${url.slice(0, hostStart)}localhost${url.slice(url.indexOf('/', hostStart))}`, request);
}

/** Whether Elysia finds the path of `url` (see `withRoutablePath`). */
function routable(url: string): boolean {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash < 0 || slash >= 11;
}

/** The path of a URL without parsing the whole URL (the hot path). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const query = url.indexOf('?', start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}
