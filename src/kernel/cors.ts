import type { CorsConfig } from '../config/schema.ts';
import { errorResponse, HubError } from './errors.ts';

/**
 * Browsers, safely: CORS for REST and SSE per listed origin, and the same list for
 * WebSocket upgrades. Nothing is allowed cross-origin by default (`server.cors.origins`
 * is empty): a page on another origin can neither read the hub's answers nor open a
 * WebSocket that rides on its network position (a hub open on loopback).
 */

const METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const EXPOSED = 'retry-after, x-request-id, location, idempotent-replayed';

/** Whether `origin` may read the hub's answers: listed exactly, or `*` listed. */
export function originAllowed(cors: CorsConfig, origin: string): boolean {
  return cors.origins.includes(origin) || cors.origins.includes('*');
}

/** Whether the request's Origin names the hub itself (the Host it was sent to). */
export function sameOrigin(request: Request, origin: string): boolean {
  try {
    return new URL(origin).host === request.headers.get('host');
  } catch {
    return false;
  }
}

function allowHeaders(cors: CorsConfig, origin: string): Record<string, string> {
  // Credentials (the SSE token cookie) only for origins listed by name, never for `*`.
  const listed = cors.origins.includes(origin);
  return listed
    ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin' }
    : { 'access-control-allow-origin': '*' };
}

/** The answer to a CORS preflight, or null when `request` is not one. */
export function preflight(request: Request, cors: CorsConfig): Response | null {
  const origin = request.headers.get('origin');
  if (request.method !== 'OPTIONS' || origin === null || !request.headers.has('access-control-request-method')) {
    return null;
  }
  if (!originAllowed(cors, origin)) {
    return errorResponse(
      new HubError('RELAYKIT_ERR_FORBIDDEN', `Origin ${origin} is not allowed (server.cors.origins)`, { origin }),
      { vary: 'origin' },
    );
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...allowHeaders(cors, origin),
      'access-control-allow-methods': METHODS,
      'access-control-allow-headers':
        request.headers.get('access-control-request-headers') ?? 'authorization, content-type',
      'access-control-max-age': String(cors.maxAgeSeconds),
    },
  });
}

/** Adds the CORS headers to the answer of a cross-origin request from an allowed origin. */
export function applyCors(request: Request, response: Response, cors: CorsConfig): Response {
  const origin = request.headers.get('origin');
  if (origin === null || !originAllowed(cors, origin)) return response;
  try {
    for (const [name, value] of Object.entries(allowHeaders(cors, origin))) response.headers.set(name, value);
    response.headers.set('access-control-expose-headers', EXPOSED);
  } catch {
    // Immutable headers (a plugin returned a shared Response): the browser refuses to read it.
  }
  return response;
}

/**
 * Refuses a browser WebSocket from another origin that is not listed, unless it
 * carries its own credential (a token in the Authorization header or the URL): such a
 * socket would otherwise act with the hub's trust in the browser's network position.
 * Clients that send no Origin (servers, CLIs) are not browsers and pass.
 */
export function websocketOriginRefusal(request: Request, cors: CorsConfig): Response | null {
  const origin = request.headers.get('origin');
  if (origin === null || sameOrigin(request, origin) || originAllowed(cors, origin)) return null;
  if (request.headers.has('authorization') || new URL(request.url).searchParams.has('token')) return null;
  return errorResponse(
    new HubError(
      'RELAYKIT_ERR_FORBIDDEN',
      `WebSocket from origin ${origin} refused: list it in server.cors.origins, or connect with a token`,
      { origin },
    ),
  );
}
