import type { ClientAccess } from '../../src/kernel/access.ts';
import type { AuthService } from '../../src/kernel/auth.ts';

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
 * Resolves a stream request to a client's access through the kernel's one identity
 * model (src/kernel/auth.ts). The token is looked for in the Authorization header,
 * then `?token=`, then the cookie. The admin token counts only in the header (URLs
 * and cookies end up in logs and browsers). Without a token the client is anonymous,
 * unless `auth.jwt.required`.
 */
export async function resolveStreamAccess(
  request: Request,
  queryToken: string | undefined,
  auth: AuthService,
  sources: TokenSources,
): Promise<StreamAccess> {
  const fromQuery = sources.queryToken && queryToken ? queryToken : null;
  const fromCookie = sources.cookieName ? cookieValue(request, sources.cookieName) : null;
  const access = await auth.identify(
    request,
    fromQuery !== null ? { token: fromQuery, source: 'query' } : { token: fromCookie, source: 'cookie' },
  );
  return { access, expiresAt: access.expiresAt };
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
