import type { ClientAccess } from '../../src/kernel/access.ts';
import type { WebSocketConnection } from '../../src/runtime/types.ts';

/** Who the upgrade request turned out to be, decided before the socket opens. */
export type Handshake =
  | { kind: 'ready'; access: ClientAccess; clientId: string; expiresAt: number | null; requestedId: string | null }
  /** No token in the URL while one is required: the first frame must be `auth`. */
  | { kind: 'awaiting-auth'; requestedId: string | null }
  /** Refused: the socket opens only to be closed with this code and reason (browsers cannot read HTTP errors). */
  | { kind: 'refused'; code: number; reason: string };

/**
 * One WebSocket connection and what it is subscribed to.
 *
 * A channel is either live (the socket joined the channel's pub/sub topic and the
 * runtime delivers to it natively) or catching up (events come from the database
 * until the session is level with the log, then it joins the topic in the same
 * tick). The inbox is the topic of the client id: messages addressed `to` it.
 */
const SETTLED: Promise<void> = Promise.resolve();

export class Session {
  ws: WebSocketConnection<Session> | null = null;
  state: 'authenticating' | 'open' | 'closed' = 'authenticating';
  clientId = '';
  access: ClientAccess | null = null;
  // Plain arrays, not Sets: a connection holds a handful of channels, and a Set costs
  // about 300 bytes per connection (a quarter of an idle connection's footprint).
  /** Channels whose topic the socket joined. */
  live: string[] = [];
  /** Channels being replayed from the database (null when none). */
  catching: string[] | null = null;
  /** Whether messages addressed to the client reach the session live (false while a first resume replays them). */
  inboxJoined = false;
  /** Every message addressed to the client with a larger id than this reached the session (or will). */
  inboxFrom = 0;
  /** Whether a `subscribe` with `since` already replayed the inbox. */
  inboxResumed = false;
  /** Clock time of the last frame or pong from the client. */
  lastSeen = 0;
  /** Frames received so far (`auth` is only accepted as the first). */
  framesReceived = 0;
  /** Frees the connection's slot under the per-identity and per-IP caps (null until admitted). */
  releaseSlot: (() => void) | null = null;
  /** Frames other than `ping` run one after the other, in the order they arrived. */
  queue: Promise<void> = SETTLED;
  /** Cancels timers tied to the session (auth deadline, token expiry). */
  private timers: Array<() => void> | null = null;
  private drainWaiters: Array<() => void> | null = null;

  constructor(
    readonly serial: number,
    readonly handshake: Handshake,
    readonly remoteAddress: string,
  ) {}

  get open(): boolean {
    return this.state === 'open';
  }

  isLive(channel: string): boolean {
    return this.live.includes(channel);
  }

  isCatchingUp(): boolean {
    return this.catching !== null && this.catching.length > 0;
  }

  /** Channels the client is subscribed to, live or catching up. */
  subscribedTo(channel: string): boolean {
    return this.live.includes(channel) || (this.catching?.includes(channel) ?? false);
  }

  subscriptionCount(): number {
    return this.live.length + (this.catching?.length ?? 0);
  }

  channels(): string[] {
    return [...this.live, ...(this.catching ?? [])].sort();
  }

  startCatchingUp(channel: string): void {
    if (this.catching) this.catching.push(channel);
    else this.catching = [channel];
  }

  /** Moves a channel from catching up to live; false when it was not catching up. */
  promote(channel: string): boolean {
    if (!remove(this.catching, channel)) return false;
    if (this.catching?.length === 0) this.catching = null;
    this.live.push(channel);
    return true;
  }

  /** Forgets a channel; returns whether its topic had been joined. */
  drop(channel: string): boolean {
    if (remove(this.live, channel)) return true;
    remove(this.catching, channel);
    if (this.catching?.length === 0) this.catching = null;
    return false;
  }

  /** Sends a frame; false when the socket is gone. */
  send(text: string): boolean {
    if (!this.ws || this.state === 'closed') return false;
    return this.ws.send(text) !== 0;
  }

  bufferedAmount(): number {
    return this.ws && this.state !== 'closed' ? this.ws.bufferedAmount() : 0;
  }

  /** Resolves when the send buffer drained, or the session closed. */
  drained(): Promise<void> {
    if (this.state === 'closed') return SETTLED;
    return new Promise((resolve) => {
      if (this.drainWaiters) this.drainWaiters.push(resolve);
      else this.drainWaiters = [resolve];
    });
  }

  /** The runtime reported the buffer drained (or the session ended): wake the replay. */
  wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = null;
    for (const resolve of waiters ?? []) resolve();
  }

  addTimer(cancel: () => void): void {
    if (this.timers) this.timers.push(cancel);
    else this.timers = [cancel];
  }

  clearTimers(): void {
    for (const cancel of this.timers ?? []) cancel();
    this.timers = null;
  }
}

function remove(list: string[] | null, item: string): boolean {
  const at = list?.indexOf(item) ?? -1;
  if (at < 0 || !list) return false;
  list.splice(at, 1);
  return true;
}

/** Sessions by client id; most clients have one connection, stored without a Set. */
export class ClientIndex {
  private readonly map = new Map<string, Session | Set<Session>>();

  get size(): number {
    return this.map.size;
  }

  /** Adds a session; true when it is the client's first. */
  add(session: Session): boolean {
    const current = this.map.get(session.clientId);
    if (!current) {
      this.map.set(session.clientId, session);
      return true;
    }
    if (current instanceof Set) current.add(session);
    else this.map.set(session.clientId, new Set([current, session]));
    return false;
  }

  /** Removes a session; true when it was the client's last. */
  remove(session: Session): boolean {
    const current = this.map.get(session.clientId);
    if (current === session) {
      this.map.delete(session.clientId);
      return true;
    }
    if (!(current instanceof Set) || !current.delete(session)) return false;
    if (current.size === 1) this.map.set(session.clientId, current.values().next().value as Session);
    return false;
  }

  has(session: Session): boolean {
    const current = this.map.get(session.clientId);
    return current === session || (current instanceof Set && current.has(session));
  }

  /**
   * Whether a session of `session`'s client, other than `session`, is in `among`: a
   * look at the client's few sessions, not a scan of everyone in a channel.
   */
  otherIn(session: Session, among: ReadonlySet<Session>): boolean {
    const current = this.map.get(session.clientId);
    if (!(current instanceof Set)) return current !== undefined && current !== session && among.has(current);
    for (const other of current) if (other !== session && among.has(other)) return true;
    return false;
  }

  /** The client's sessions (a snapshot: delivering may close some). */
  get(clientId: string): readonly Session[] {
    const current = this.map.get(clientId);
    if (!current) return [];
    return current instanceof Set ? [...current] : [current];
  }
}
