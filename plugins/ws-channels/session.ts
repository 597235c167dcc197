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
export class Session {
  ws: WebSocketConnection<Session> | null = null;
  state: 'authenticating' | 'open' | 'closed' = 'authenticating';
  clientId = '';
  access: ClientAccess | null = null;
  /** Channels whose topic the socket joined. */
  readonly live = new Set<string>();
  /** Channels being replayed from the database. */
  readonly catching = new Set<string>();
  /** Whether the socket is in its client-id topic. */
  inboxJoined = false;
  /** Every message addressed to the client with a larger id than this reached the session (or will). */
  inboxFrom = 0;
  /** Whether a `subscribe` with `since` already replayed the inbox. */
  inboxResumed = false;
  /** Clock time of the last frame or pong from the client. */
  lastSeen = 0;
  /** Frames received so far (`auth` is only accepted as the first). */
  framesReceived = 0;
  /** Frames other than `ping` run one after the other, in the order they arrived. */
  queue: Promise<void> = Promise.resolve();
  /** Cancels timers tied to the session (auth deadline, token expiry). */
  readonly timers: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly serial: number,
    readonly handshake: Handshake,
    readonly remoteAddress: string,
  ) {}

  get open(): boolean {
    return this.state === 'open';
  }

  /** Channels the client is subscribed to, live or catching up. */
  subscribedTo(channel: string): boolean {
    return this.live.has(channel) || this.catching.has(channel);
  }

  subscriptionCount(): number {
    return this.live.size + this.catching.size;
  }

  channels(): string[] {
    return [...this.live, ...this.catching].sort();
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
    if (this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The runtime reported the buffer drained (or the session ended): wake the replay. */
  wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  clearTimers(): void {
    for (const cancel of this.timers.splice(0)) cancel();
  }
}
