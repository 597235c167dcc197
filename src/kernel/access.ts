import type { JWTPayload } from 'jose';
import { compilePatterns } from './bus.ts';

/**
 * Who a caller is and what it may do, the same on every door: REST routes, WebSocket
 * frames, SSE streams and plugin routes. The kernel derives it from the caller's
 * credential (src/kernel/auth.ts `identify`); routes and transports only ask it.
 *
 * Claims a Relaykit JWT may carry:
 * - `sub`: the client id (a token without one gets a generated id, never a chosen one);
 * - `channels`: patterns of channels the client may read (`*` wildcards; absent = any);
 * - `publish`: patterns of channels it may publish on (absent = none);
 * - `to`: patterns of client ids it may send direct messages to (absent = none);
 * - `system`: `true` to read the hub's own events as system channels.
 */
export interface ClientAccess {
  /** The caller's own client id; null for admin, open-mode and anonymous callers (the transport names them). */
  clientId: string | null;
  /** How the caller was identified. */
  via: 'anonymous' | 'jwt' | 'key' | 'admin';
  /** Who quotas and logs count this caller as: `key:<name>`, `jwt:<sub>`, `admin`, or null for anonymous (its IP). */
  readonly subject: string | null;
  /** Everything the admin token may do. */
  readonly admin: boolean;
  /** May read system channels (`$hub:<event>`) and every message at once. */
  readonly system: boolean;
  /** May list every message without naming a client or channel (admin, open mode). */
  readonly readsAll: boolean;
  /** When the credential expires (ms since the epoch), or null. */
  readonly expiresAt: number | null;
  /** May read this channel (subscribe, replay, `GET /messages?channel=`). */
  canSubscribe(channel: string): boolean;
  /** May publish on this channel. */
  canPublish(channel: string): boolean;
  /** May send a direct message to this client id. */
  canSendTo(clientId: string): boolean;
  /** May act as this client id: send as it, read its inbox, acknowledge or extend its messages. */
  canActAs(clientId: string): boolean;
}

/** Prefix of system channels: `$hub:client.connected`, `$hub:plugin.*`, `$hub:metrics.snapshot`. */
export const SYSTEM_CHANNEL_PREFIX = '$hub:';

export function isSystemChannel(channel: string): boolean {
  return channel.startsWith(SYSTEM_CHANNEL_PREFIX);
}

/** The event-name pattern a system channel stands for (`$hub:plugin.*` → `plugin.*`). */
export function systemEventPattern(channel: string): string {
  return channel.slice(SYSTEM_CHANNEL_PREFIX.length);
}

const always = () => true;
const never = () => false;

/**
 * Access for a caller without a token. In open mode (no API keys or JWTs configured,
 * or `auth.open`) it may do everything but admin, as any client id; otherwise it
 * reads and publishes what `auth.anonymous` allows and acts as nobody.
 */
export function anonymousAccess(rules: {
  open: boolean;
  read?: readonly string[];
  publish?: readonly string[];
}): ClientAccess {
  const read = rules.open ? always : compilePatterns(rules.read ?? []);
  const publish = rules.open ? always : compilePatterns(rules.publish ?? []);
  return {
    clientId: null,
    via: 'anonymous',
    subject: null,
    admin: false,
    system: false,
    readsAll: rules.open,
    expiresAt: null,
    canSubscribe: read,
    canPublish: publish,
    canSendTo: rules.open ? always : never,
    canActAs: rules.open ? always : never,
  };
}

/** Access for the admin token (or an admin-scoped key): everything, system channels included. */
export function adminAccess(subject = 'admin'): ClientAccess {
  return {
    clientId: null,
    via: subject === 'admin' ? 'admin' : 'key',
    subject,
    admin: true,
    system: true,
    readsAll: true,
    expiresAt: null,
    canSubscribe: always,
    canPublish: always,
    canSendTo: always,
    canActAs: always,
  };
}

/** Scopes of an API key, as `*` patterns. */
export interface KeyScopeSet {
  publish: readonly string[];
  read: readonly string[];
  to: readonly string[];
  actAs: readonly string[];
  admin: boolean;
}

/** Access of an API key. Its own client id is `key:<name>` (the default `from`). */
export function keyAccess(name: string, scopes: KeyScopeSet): ClientAccess {
  if (scopes.admin) return adminAccess(`key:${name}`);
  const self = `key:${name}`;
  const actAs = compilePatterns(scopes.actAs);
  return {
    clientId: self,
    via: 'key',
    subject: self,
    admin: false,
    system: false,
    readsAll: false,
    expiresAt: null,
    canSubscribe: compilePatterns(scopes.read),
    canPublish: compilePatterns(scopes.publish),
    canSendTo: compilePatterns(scopes.to),
    canActAs: (id) => id === self || actAs(id),
  };
}

/** Access from verified JWT claims; a token without `sub` gets `generatedId`. */
export function accessFromClaims(claims: JWTPayload, generatedId: string = crypto.randomUUID()): ClientAccess {
  const subscribe = stringList(claims.channels);
  const clientId = typeof claims.sub === 'string' && claims.sub ? claims.sub : generatedId;
  return {
    clientId,
    via: 'jwt',
    subject: `jwt:${clientId}`,
    admin: false,
    system: claims.system === true,
    readsAll: false,
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    canSubscribe: subscribe ? compilePatterns(subscribe) : always,
    canPublish: compilePatterns(stringList(claims.publish) ?? []),
    canSendTo: compilePatterns(stringList(claims.to) ?? []),
    canActAs: (id) => id === clientId,
  };
}

function stringList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return [value];
  return [];
}
