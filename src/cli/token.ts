import { readFileSync } from 'node:fs';
import { importPKCS8, type JWTPayload, SignJWT } from 'jose';
import type { HubConfig } from '../config/schema.ts';
import { KernelAuth } from '../kernel/auth.ts';
import { HubError } from '../kernel/errors.ts';
import { UsageError } from './usage.ts';

/** What `relaykit token` puts in a token; claim names as src/kernel/access.ts reads them. */
export interface TokenRequest {
  sub?: string;
  channels: string[];
  publish: string[];
  system: boolean;
  /** Lifetime, like `30s`, `15m`, `1h`, `7d`. */
  ttl: string;
  /** A PKCS#8 PEM private key file for RS256 (when the hub verifies with `auth.jwt.publicKey`). */
  keyFile?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0)
    throw new UsageError(`--ttl: expected a duration like 30s, 15m, 1h or 7d, got "${text}"`);
  return Number(match[1]) * UNITS[match[2]];
}

/** Mints a JWT the hub accepts under `config.auth.jwt` (HS256 with its secret, or RS256 with `keyFile`). */
export async function mintToken(config: HubConfig, request: TokenRequest, now = Date.now()): Promise<string> {
  const jwt = config.auth.jwt;
  const claims: JWTPayload = {};
  if (request.channels.length) claims.channels = request.channels;
  if (request.publish.length) claims.publish = request.publish;
  if (request.system) claims.system = true;
  const iat = Math.floor(now / 1000);
  let signer = new SignJWT(claims).setIssuedAt(iat).setExpirationTime(iat + parseDuration(request.ttl));
  if (request.sub) signer = signer.setSubject(request.sub);
  if (jwt.issuer) signer = signer.setIssuer(jwt.issuer);
  if (jwt.audience) signer = signer.setAudience(jwt.audience);
  if (request.keyFile) {
    const key = await importPKCS8(readFileSync(request.keyFile, 'utf8'), 'RS256');
    return signer.setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(key);
  }
  if (!jwt.secret) {
    throw new UsageError(
      'no auth.jwt.secret in the configuration to sign with (set it, or pass --key with the RS256 private key)',
    );
  }
  return signer.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(jwt.secret));
}

/** Verifies `token` as the hub would and returns its claims; throws a UsageError that says why not. */
export async function checkToken(config: HubConfig, token: string): Promise<JWTPayload> {
  const auth = new KernelAuth(() => config.auth);
  if (!auth.jwtConfigured()) throw new UsageError('no JWT verification in the configuration (auth.jwt)');
  try {
    return await auth.verifyJwt(token);
  } catch (err) {
    if (err instanceof HubError) throw new UsageError(err.message);
    throw err;
  }
}
