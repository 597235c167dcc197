import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, importSPKI, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { AuthConfig } from '../config/schema.ts';
import { HubError } from './errors.ts';

/** Admin-token and JWT checks under the hub's current auth configuration. */
export interface AuthService {
  /** Whether any admin token is configured. */
  adminConfigured(): boolean;
  /** Throws 403 when no admin token is configured, 401 when `request` lacks it. */
  requireAdmin(request: Request): void;
  /** Whether `request` carries the admin token (header or `?token=`/cookie are not accepted). */
  isAdmin(request: Request): boolean;
  /** Whether `token` is the admin token (constant time). */
  isAdminToken(token: string | null | undefined): boolean;
  /** Whether realtime clients must present a JWT. */
  jwtRequired(): boolean;
  /** Whether JWT verification is configured at all. */
  jwtConfigured(): boolean;
  /** Verifies a JWT (HS256 or RS256) and returns its claims; throws a HubError 401 when it is not valid. */
  verifyJwt(token: string): Promise<JWTPayload>;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1].trim() : null;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares two secrets in constant time (hashing first hides their lengths). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export class KernelAuth implements AuthService {
  private keyCache: { source: string; key: Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> } | null = null;

  constructor(private readonly config: () => AuthConfig) {}

  adminConfigured(): boolean {
    return Boolean(this.config().adminToken);
  }

  isAdminToken(token: string | null | undefined): boolean {
    const expected = this.config().adminToken;
    return Boolean(expected && token && safeEqual(token, expected));
  }

  isAdmin(request: Request): boolean {
    return this.isAdminToken(bearerToken(request));
  }

  requireAdmin(request: Request): void {
    if (!this.adminConfigured()) throw new HubError('RELAYKIT_ERR_ADMIN_DISABLED');
    if (!this.isAdmin(request)) throw new HubError('RELAYKIT_ERR_UNAUTHORIZED');
  }

  jwtRequired(): boolean {
    return this.config().jwt.required;
  }

  jwtConfigured(): boolean {
    const jwt = this.config().jwt;
    return Boolean(jwt.secret || jwt.publicKey || jwt.jwksUrl);
  }

  async verifyJwt(token: string): Promise<JWTPayload> {
    const jwt = this.config().jwt;
    if (!this.jwtConfigured()) throw new HubError('RELAYKIT_ERR_UNAUTHORIZED', 'JWT verification is not configured');
    const key = await this.key();
    const options = {
      algorithms: jwt.secret ? ['HS256'] : ['RS256'],
      ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
      ...(jwt.audience ? { audience: jwt.audience } : {}),
    };
    try {
      const result =
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return result.payload;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const message =
        code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : `The token is not valid: ${(err as Error).message}`;
      throw new HubError('RELAYKIT_ERR_UNAUTHORIZED', message, { reason: code ?? 'invalid' });
    }
  }

  private key(): Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> {
    const jwt = this.config().jwt;
    const source = jwt.secret ? `secret:${jwt.secret}` : jwt.publicKey ? `pem:${jwt.publicKey}` : `jwks:${jwt.jwksUrl}`;
    if (this.keyCache?.source !== source) {
      const key: Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> = jwt.secret
        ? Promise.resolve(new TextEncoder().encode(jwt.secret))
        : jwt.publicKey
          ? importSPKI(jwt.publicKey, 'RS256')
          : Promise.resolve(createRemoteJWKSet(new URL(jwt.jwksUrl as string)));
      this.keyCache = { source, key };
    }
    return this.keyCache.key;
  }
}
