import { accessFromClaims, adminAccess, anonymousAccess, type ClientAccess } from '../../src/kernel/access.ts';
import { type AuthService, bearerToken } from '../../src/kernel/auth.ts';
import { HubError } from '../../src/kernel/errors.ts';

/** Where a stream request may carry its token. */
export interface TokenSources {
  /** Accept `?token=` (EventSource cannot send headers). */
  queryToken: boolean;
  /** Cookie holding the token; empty to ignore cookies. */
  cookieName: string;
}

/** Who is asking for a stream, and until when (the token's expiry, ms since the epoch). */
export interface StreamAccess {
  access: ClientAccess;
  expiresAt: number | null;
}

/**
 * Resolves a stream request to a client's access, under the kernel's one claim model
 * (src/kernel/access.ts). The token is looked for in the Authorization header, then
 * `?token=`, then the cookie. The admin token counts only in the header (URLs and
 * cookies end up in logs and browsers); there it grants everything, system channels
 * included. Any other token must be a valid JWT. Without a token the client is
 * anonymous, unless `auth.jwt.required`.
 */
export async function resolveStreamAccess(
  request: Request,
  queryToken: string | undefined,
  auth: AuthService,
  sources: TokenSources,
): Promise<StreamAccess> {
  const header = bearerToken(request);
  if (header !== null && auth.isAdminToken(header)) return { access: adminAccess(), expiresAt: null };
  const fromQuery = sources.queryToken && queryToken ? queryToken : null;
  const fromCookie = sources.cookieName ? cookieValue(request, sources.cookieName) : null;
  const token = header ?? fromQuery ?? fromCookie;
  if (token === null) {
    if (auth.jwtRequired()) {
      throw new HubError(
        'RELAYKIT_ERR_UNAUTHORIZED',
        `A token is required: give it as ?token=, in the ${sources.cookieName || 'token'} cookie or as a bearer header`,
      );
    }
    return { access: anonymousAccess(), expiresAt: null };
  }
  if (header === null && auth.isAdminToken(token)) {
    throw new HubError('RELAYKIT_ERR_UNAUTHORIZED', 'The admin token is accepted only in the Authorization header');
  }
  const claims = await auth.verifyJwt(token);
  return {
    access: accessFromClaims(claims),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
  };
}

/** One cookie's value from the Cookie header, or null. */
export function cookieValue(request: Request, name: string): string | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw) || null;
    } catch {
      return raw || null;
    }
  }
  return null;
}
