import { accessFromClaims, adminAccess, type ClientAccess } from '../../src/kernel/access.ts';
import type { AuthService } from '../../src/kernel/auth.ts';
import { HubError } from '../../src/kernel/errors.ts';
import { NAME_PATTERN } from '../../src/messages/routes.ts';
import type { WsChannelsConfig } from './options.ts';
import { CloseCodes } from './protocol.ts';
import type { Handshake } from './session.ts';

const CLIENT_ID = new RegExp(NAME_PATTERN);

/** Whether `id` can name a client (the same rule as `to` in POST /messages). */
export function validClientId(id: string): boolean {
  return id.length > 0 && id.length <= 128 && CLIENT_ID.test(id);
}

/**
 * Decides who an upgrade request is. The token comes from `?token=` (a JWT or the
 * admin token); without one, the client is anonymous unless `auth.jwt.required`, in
 * which case its first frame must be `auth`. `?client_id=` names anonymous clients
 * (and admin or JWT clients whose token has no `sub`).
 */
export async function decide(
  request: Request,
  auth: AuthService,
  options: WsChannelsConfig,
  anonymous: ClientAccess,
  connections: number,
): Promise<Handshake> {
  if (options.maxConnections > 0 && connections >= options.maxConnections) {
    return { kind: 'refused', code: CloseCodes.tryAgainLater, reason: 'too many connections, try again later' };
  }
  const url = new URL(request.url);
  const requestedId = url.searchParams.get('client_id');
  if (requestedId !== null && !validClientId(requestedId)) {
    return {
      kind: 'refused',
      code: CloseCodes.forbidden,
      reason: 'client_id must be 1-128 characters of A-Z a-z 0-9 _ . : @ / -',
    };
  }
  const token = url.searchParams.get('token');
  if (token) return authenticate(token, requestedId, auth);
  if (auth.jwtRequired()) return { kind: 'awaiting-auth', requestedId };
  return {
    kind: 'ready',
    access: anonymous,
    clientId: requestedId ?? crypto.randomUUID(),
    expiresAt: null,
    requestedId,
  };
}

/** Checks a token (admin token or JWT) and derives the client's identity and rights. */
export async function authenticate(token: string, requestedId: string | null, auth: AuthService): Promise<Handshake> {
  if (auth.isAdminToken(token)) {
    const clientId = requestedId ?? crypto.randomUUID();
    return { kind: 'ready', access: adminAccess(), clientId, expiresAt: null, requestedId };
  }
  let claims: Awaited<ReturnType<AuthService['verifyJwt']>>;
  try {
    claims = await auth.verifyJwt(token);
  } catch (err) {
    const reason = err instanceof HubError ? err.message : 'the token is not valid';
    return { kind: 'refused', code: CloseCodes.unauthorized, reason: closeReason(reason) };
  }
  const access = accessFromClaims(claims);
  if (access.clientId && requestedId && requestedId !== access.clientId) {
    return { kind: 'refused', code: CloseCodes.forbidden, reason: "client_id differs from the token's subject" };
  }
  const clientId = access.clientId ?? requestedId ?? crypto.randomUUID();
  if (!validClientId(clientId)) {
    return { kind: 'refused', code: CloseCodes.forbidden, reason: "the token's subject is not a valid client id" };
  }
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  return { kind: 'ready', access, clientId, expiresAt, requestedId };
}

/** Close reasons are limited to 123 bytes by the protocol. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}...`;
}
