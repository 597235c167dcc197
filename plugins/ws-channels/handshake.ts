import type { ClientAccess } from '../../src/kernel/access.ts';
import { type AuthService, bearerToken } from '../../src/kernel/auth.ts';
import { compilePatterns } from '../../src/kernel/bus.ts';
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
 * Decides who an upgrade request is, through the kernel's one identity model. The
 * token comes from the Authorization header or `?token=` (a JWT or an API key; the
 * admin token only in the header or the `auth` frame, never in a URL). Without one
 * the client is anonymous unless `auth.jwt.required`, in which case its first frame
 * must be `auth`. `?client_id=` must be the caller's own id or one it may act as
 * (open mode: any); without it the client gets its token's id or a generated one.
 */
export async function decide(
  request: Request,
  auth: AuthService,
  options: WsChannelsConfig,
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
  const header = bearerToken(request);
  const token = header ?? url.searchParams.get('token');
  if (!token && auth.jwtRequired()) return { kind: 'awaiting-auth', requestedId };
  return admitWith(() => auth.identifyToken(token || null, header !== null ? 'header' : 'query'), requestedId, options);
}

/** Checks a token from the `auth` frame (the admin token is accepted there) and derives the client. */
export function authenticate(
  token: string,
  requestedId: string | null,
  auth: AuthService,
  options: WsChannelsConfig,
): Promise<Handshake> {
  return admitWith(() => auth.identifyToken(token, 'frame'), requestedId, options);
}

async function admitWith(
  identify: () => Promise<ClientAccess>,
  requestedId: string | null,
  options: WsChannelsConfig,
): Promise<Handshake> {
  let access: ClientAccess;
  try {
    access = await identify();
  } catch (err) {
    const reason = err instanceof HubError ? err.message : 'the token is not valid';
    return { kind: 'refused', code: CloseCodes.unauthorized, reason: closeReason(reason) };
  }
  if (requestedId !== null && requestedId !== access.clientId && !access.canActAs(requestedId)) {
    const reason = access.clientId ? "client_id differs from the token's subject" : 'client_id needs a token for it';
    return { kind: 'refused', code: CloseCodes.forbidden, reason };
  }
  const clientId = requestedId ?? access.clientId ?? crypto.randomUUID();
  if (!validClientId(clientId)) {
    return { kind: 'refused', code: CloseCodes.forbidden, reason: "the token's subject is not a valid client id" };
  }
  return {
    kind: 'ready',
    access: access.via === 'anonymous' ? withPublishLimit(access, options.anonymousPublish) : access,
    clientId,
    expiresAt: access.expiresAt,
    requestedId,
  };
}

/** Anonymous clients publish only where both the hub (auth.anonymous) and `anonymousPublish` allow. */
function withPublishLimit(access: ClientAccess, patterns: readonly string[]): ClientAccess {
  const allowed = compilePatterns(patterns);
  return { ...access, canPublish: (channel) => allowed(channel) && access.canPublish(channel) };
}

/** Close reasons are limited to 123 bytes by the protocol. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}...`;
}
