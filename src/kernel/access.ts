import type { JWTPayload } from 'jose';
import { matchesPattern } from './bus.ts';

/**
 * Who a realtime client is and what it may do, shared by every transport so a
 * token means the same over WebSocket and SSE.
 *
 * Claims a Relaykit JWT may carry:
 * - `sub`: the client id (default: a generated one);
 * - `channels`: patterns of channels the client may subscribe to (`*` wildcards; absent = any);
 * - `publish`: patterns of channels it may publish on (absent = none);
 * - `system`: `true` to read the hub's own events as system channels.
 */
export interface ClientAccess {
  clientId: string | null;
  /** How the client was identified. */
  via: 'anonymous' | 'jwt' | 'admin';
  canSubscribe(channel: string): boolean;
  canPublish(channel: string): boolean;
  /** May subscribe to system channels (`$hub:<event>`). */
  readonly system: boolean;
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

/** Access for a client that presented no token (allowed only when JWT is not required). */
export function anonymousAccess(publishPatterns: readonly string[] = ['*']): ClientAccess {
  return {
    clientId: null,
    via: 'anonymous',
    system: false,
    canSubscribe: () => true,
    canPublish: (channel) => publishPatterns.some((p) => matchesPattern(p, channel)),
  };
}

/** Access for the admin token: everything, system channels included. */
export function adminAccess(): ClientAccess {
  return { clientId: null, via: 'admin', system: true, canSubscribe: () => true, canPublish: () => true };
}

/** Access from verified JWT claims. */
export function accessFromClaims(claims: JWTPayload): ClientAccess {
  const subscribe = stringList(claims.channels);
  const publish = stringList(claims.publish) ?? [];
  return {
    clientId: typeof claims.sub === 'string' && claims.sub ? claims.sub : null,
    via: 'jwt',
    system: claims.system === true,
    canSubscribe: (channel) => !subscribe || subscribe.some((p) => matchesPattern(p, channel)),
    canPublish: (channel) => publish.some((p) => matchesPattern(p, channel)),
  };
}

function stringList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return [value];
  return [];
}
