import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/schema.ts';
import { accessFromClaims, adminAccess, anonymousAccess, type ClientAccess } from './access.ts';
import { HubError } from './errors.ts';
import { ApiKeys } from './identity/keys.ts';
import { nodeCrypto } from './node-crypto.ts';

/** A token found outside the Authorization header, and where. */
export interface TokenElsewhere {
  token: string | null | undefined;
  /** Where it was: the admin token is refused in URLs and cookies (they end up in logs and browsers). */
  source: 'query' | 'cookie' | 'frame';
}

/** Credential checks under the hub's current auth configuration: one identity model for every door. */
export interface AuthService {
  /** Whether any admin token is configured. */
  adminConfigured(): boolean;
  /** Throws 403 when no admin token or admin key is configured, 401 when `request` carries neither. */
  requireAdmin(request: Request): void;
  /** Whether `request` carries the admin token or an admin-scoped API key in its Authorization header. */
  isAdmin(request: Request): boolean;
  /**
   * Who the caller is: the admin token, an API key or a JWT from the Authorization
   * header (or `elsewhere`, for transports that cannot send headers); anonymous without
   * one. Throws 401 for a token that is not valid, or for no token when
   * `auth.jwt.required`.
   */
  identify(request: Request, elsewhere?: TokenElsewhere): Promise<ClientAccess>;
  /** `identify` without a Promise when no JWT needs verifying (no token, the admin token, an API key). */
  identifyNow(request: Request): ClientAccess | Promise<ClientAccess>;
  /** `identify` for a token already taken from the request (`source` says where from; `header` and `frame` may carry the admin token). */
  identifyToken(token: string | null, source: TokenElsewhere['source'] | 'header'): Promise<ClientAccess>;
  /** Whether callers without a token may do everything but admin (no keys or JWTs configured, or `auth.open`). */
  openMode(): boolean;
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
  return nodeCrypto().createHash('sha256').update(value).digest();
}

/** Compares two secrets in constant time (hashing first hides their lengths). */
export function safeEqual(a: string, b: string): boolean {
  return nodeCrypto().timingSafeEqual(digest(a), digest(b));
}

/** Keys kept outside the config (created through the admin API). */
export interface KeyDirectory {
  readonly size: number;
  find(token: string, now: number): ClientAccess | null;
}

export class KernelAuth implements AuthService {
  private keyCache: { source: string; key: Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> } | null = null;
  private keysCache: { config: AuthConfig; keys: ApiKeys } | null = null;
  /** The anonymous access last built, and the rules and mode it was built for. */
  private lastAnonymous: { rules: AuthConfig['anonymous']; open: boolean; access: ClientAccess } | null = null;

  constructor(
    private readonly config: () => AuthConfig,
    private readonly env: Record<string, string | undefined> = {},
    private readonly now: () => number = Date.now,
    private readonly stored: KeyDirectory | null = null,
  ) {}

  adminConfigured(): boolean {
    return Boolean(this.config().adminToken) || this.config().apiKeys.some((k) => k.scopes.admin);
  }

  /** The API keys of the current config (rebuilt when the config changes). */
  get keys(): ApiKeys {
    const config = this.config();
    if (this.keysCache?.config !== config) this.keysCache = { config, keys: new ApiKeys(config.apiKeys, this.env) };
    return this.keysCache.keys;
  }

  openMode(): boolean {
    const config = this.config();
    return config.open || (this.keys.size === 0 && (this.stored?.size ?? 0) === 0 && !this.jwtConfigured());
  }

  identify(request: Request, elsewhere?: TokenElsewhere): Promise<ClientAccess> {
    const header = bearerToken(request);
    if (header !== null) return this.identifyToken(header, 'header');
    return this.identifyToken(elsewhere?.token || null, elsewhere?.source ?? 'header');
  }

  /**
   * `identify` without a Promise when no JWT has to be verified (no token, the admin
   * token, an API key): the hot read paths answer in one step then. Throws where
   * `identify` rejects.
   */
  identifyNow(request: Request): ClientAccess | Promise<ClientAccess> {
    const token = bearerToken(request);
    return this.known(token, 'header') ?? this.verified(token as string);
  }

  async identifyToken(token: string | null, source: TokenElsewhere['source'] | 'header'): Promise<ClientAccess> {
    return this.known(token, source) ?? this.verified(token as string);
  }

  private async verified(jwt: string): Promise<ClientAccess> {
    return accessFromClaims(await this.verifyJwt(jwt));
  }

  /**
   * The access of a caller without a token, built once per set of rules (its patterns
   * compiled once) instead of at every request: the object is never changed.
   */
  private anonymous(rules: AuthConfig['anonymous']): ClientAccess {
    const open = this.openMode();
    const last = this.lastAnonymous;
    if (last && last.rules === rules && last.open === open) return last.access;
    const access = anonymousAccess({ open, ...rules });
    this.lastAnonymous = { rules, open, access };
    return access;
  }

  /** The access a token gives without verifying a JWT; null when it must be verified as one. */
  private known(token: string | null, source: TokenElsewhere['source'] | 'header'): ClientAccess | null {
    const config = this.config();
    if (token === null) {
      if (config.jwt.required) {
        throw new HubError('RELAYKIT_ERR_UNAUTHORIZED', 'A token is required (auth.jwt.required): a JWT or an API key');
      }
      return this.anonymous(config.anonymous);
    }
    if (this.isAdminToken(token)) {
      if (source === 'query' || source === 'cookie') {
        throw new HubError(
          'RELAYKIT_ERR_UNAUTHORIZED',
          'The admin token is accepted only in the Authorization header (or a WebSocket `auth` frame), never in a URL or cookie',
        );
      }
      return adminAccess();
    }
    return this.keys.find(token, this.now()) ?? this.stored?.find(token, this.now()) ?? null;
  }

  isAdminToken(token: string | null | undefined): boolean {
    const expected = this.config().adminToken;
    return Boolean(expected && token && safeEqual(token, expected));
  }

  isAdmin(request: Request): boolean {
    const token = bearerToken(request);
    if (token === null) return false;
    const key = this.keys.find(token, this.now()) ?? this.stored?.find(token, this.now());
    return this.isAdminToken(token) || Boolean(key?.admin);
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
    const { jwtVerify } = jose ?? (await loadJose());
    const key = await this.key();
    const options = {
      algorithms: jwt.secret ? ['HS256'] : ['RS256'],
      ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
      ...(jwt.audience ? { audience: jwt.audience } : {}),
      ...(jwt.requireExpiry ? { requiredClaims: ['exp'] } : {}),
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
          ? loadJose().then((j) => j.importSPKI(jwt.publicKey as string, 'RS256'))
          : loadJose().then((j) => j.createRemoteJWKSet(new URL(jwt.jwksUrl as string)));
      this.keyCache = { source, key };
    }
    return this.keyCache.key;
  }
}

/** jose, loaded with the first JWT to verify: a hub without JWTs configured never evaluates it. */
let jose: typeof import('jose') | undefined;

async function loadJose(): Promise<typeof import('jose')> {
  jose ??= await import('jose');
  return jose;
}
