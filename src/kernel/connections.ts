import type { Counter } from 'prom-client';
import type { LimitsConfig } from '../config/schema.ts';
import { anonymousAccess, type ClientAccess } from './access.ts';
import { HubError } from './errors.ts';

/** How long a caller refused for holding too many connections is told to wait. */
const RETRY_AFTER_SECONDS = 5;

/** A caller known only by its address. */
const ADDRESS_ONLY = anonymousAccess({ open: false });

/** Releases one counted connection; calling it again does nothing. */
export type ConnectionRelease = () => void;

/**
 * Caps on long-lived connections (WebSockets, SSE streams, Pusher sockets) per
 * identity and per IP, so no one caller can take every slot a transport has.
 * Identified callers (`key:<name>`, `jwt:<sub>`) count against
 * `limits.connectionsPerIdentity`; every non-admin connection counts against
 * `limits.connectionsPerIp` of the address it came from. The admin is not limited.
 */
export class ConnectionCaps {
  private readonly byIdentity = new Map<string, number>();
  private readonly byIp = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly config: () => LimitsConfig,
    private readonly limited: Counter<'reason'>,
  ) {}

  /** Connections counted right now. */
  get open(): number {
    return this.total;
  }

  /**
   * Counts one connection of `access` from `remoteAddress`. Throws a 429 HubError
   * (`RELAYKIT_ERR_RATE_LIMITED`, reason `connections`, with Retry-After) when the
   * caller or its IP already holds its cap; nothing is counted then.
   */
  acquire(access: ClientAccess, remoteAddress: string): ConnectionRelease {
    if (access.admin) return () => {};
    const { connectionsPerIdentity, connectionsPerIp } = this.config();
    const identity = access.subject;
    if (identity !== null && (this.byIdentity.get(identity) ?? 0) >= connectionsPerIdentity) {
      this.refuse(`${identity} already holds ${connectionsPerIdentity} connections (limits.connectionsPerIdentity)`);
    }
    if ((this.byIp.get(remoteAddress) ?? 0) >= connectionsPerIp) {
      this.refuse(`this address already holds ${connectionsPerIp} connections (limits.connectionsPerIp)`);
    }
    if (identity !== null) bump(this.byIdentity, identity, 1);
    bump(this.byIp, remoteAddress, 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (identity !== null) bump(this.byIdentity, identity, -1);
      bump(this.byIp, remoteAddress, -1);
      this.total--;
    };
  }

  /**
   * Counts one connection that has no identity of its own (a Pusher socket, whose app
   * key is public) against `limits.connectionsPerIp` only; throws as `acquire` does.
   */
  acquireAddress(remoteAddress: string): ConnectionRelease {
    return this.acquire(ADDRESS_ONLY, remoteAddress);
  }

  private refuse(why: string): never {
    this.limited.inc({ reason: 'connections' });
    throw new HubError(
      'RELAYKIT_ERR_RATE_LIMITED',
      `Too many open connections: ${why}; close one or retry later`,
      { reason: 'connections', retryAfterSeconds: RETRY_AFTER_SECONDS },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
