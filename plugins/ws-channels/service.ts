import { ChannelOccupancy } from '../../src/cluster/occupancy.ts';
import type { PresenceChannel } from '../../src/cluster/presence.ts';
import { isSystemChannel, systemEventPattern } from '../../src/kernel/access.ts';
import { compilePatterns } from '../../src/kernel/bus.ts';
import type { PluginContext, StopReason, WebSocketEndpoint } from '../../src/kernel/plugin.ts';
import type { Resume } from '../../src/messages/resume.ts';
import type { WebSocketConnection } from '../../src/runtime/types.ts';
import type { CatchUpHost } from './catchup.ts';
import { handleFrame } from './commands.ts';
import { Fanout } from './fanout.ts';
import { closeReason, decide } from './handshake.ts';
import { closeCause, createWsMetrics, type WsMetrics } from './metrics.ts';
import type { WsChannelsConfig } from './options.ts';
import { CloseCodes, frameBytes } from './protocol.ts';
import { ClientIndex, type Handshake, Session } from './session.ts';

/** Subscribers of one channel: everyone in presence, and how many joined its topic. */
export interface ChannelState {
  readonly sessions: Set<Session>;
  live: number;
  /** For system channels: whether a bus event belongs here. */
  readonly matches?: (event: string) => boolean;
}

const STOP_REASONS: Record<StopReason, string> = {
  reconfigure: 'ws-channels is restarting; reconnect and resume with since',
  disable: 'ws-channels was disabled',
  shutdown: 'the hub is shutting down; reconnect and resume with since',
  rollback: 'ws-channels is restarting; reconnect and resume with since',
};

/**
 * The long-lived state of the ws-channels plugin: connections, presence and fan-out.
 * Live events go out with one pub/sub publish per channel (native fan-out); the
 * service only visits individual sockets for direct messages, resumes and the
 * slow-consumer check that follows a publish the runtime reported as backpressured.
 */
export class WsService {
  readonly metrics: WsMetrics;
  readonly sessions = new Set<Session>();
  readonly byClient = new ClientIndex();
  readonly channels = new Map<string, ChannelState>();
  readonly endpoint: WebSocketEndpoint<Session>;
  /** What resumes need from the service. */
  readonly replayHost: CatchUpHost;
  /** Highest message id the live path has seen (resumes go live only once it caught up). */
  busSeenId = 0;
  /** Resumes in progress (their subscribers are not in the topics yet). */
  readonly resumes = new Set<Resume>();
  framesIn = 0;
  framesOut = 0;
  slowConsumerCloses = 0;
  private readonly topicPrefix: string;
  /** System channels with subscribers (a subset of `channels`). */
  readonly systemChannels = new Map<string, ChannelState>();
  private readonly fanout = new Fanout(this);
  private serial = 0;
  private stopping = false;
  private cancelHeartbeat: (() => void) | null = null;
  /** On a cluster: this plugin's channels in the shared presence, which decides their occupancy. */
  private cluster: ChannelOccupancy | null = null;

  constructor(readonly ctx: PluginContext<WsChannelsConfig>) {
    this.topicPrefix = `${ctx.name}|`;
    this.metrics = createWsMetrics(ctx.metrics, {
      connections: () => this.sessions.size,
      subscriptions: () => this.subscriptionCount(),
      channels: () => this.channels.size,
      catchingUp: () => [...this.sessions].filter((s) => s.isCatchingUp()).length,
    });
    this.endpoint = {
      path: '/ws',
      upgrade: (request, remoteAddress) => this.upgrade(request, remoteAddress),
      handlers: {
        open: (ws) => this.open(ws),
        message: (ws, data) => this.message(ws, data),
        close: (ws, code) => this.release(ws.data, code),
        drain: (ws) => ws.data.wake(),
        pong: (ws) => {
          ws.data.lastSeen = this.ctx.clock.now();
          this.metrics.pongs.inc();
        },
      },
    };
    this.replayHost = {
      messages: ctx.messages,
      pageSize: ctx.options.replayPageSize,
      pauseAbove: ctx.options.sendBufferBytes / 2,
      busSeenId: () => this.busSeenId,
      goLive: (session, channels, inbox) => this.goLive(session, channels, inbox),
      replayed: (count) => this.fanout.counted(count, 'replay'),
      resumes: this.resumes,
    };
  }

  get options(): WsChannelsConfig {
    return this.ctx.options;
  }

  async start(): Promise<void> {
    this.ctx.bus.on('message.sent', (message) => {
      if (message.id > this.busSeenId) this.busSeenId = message.id;
      for (const resume of this.resumes) resume.offer(message);
      this.fanout.deliver(message);
    });
    // Subscribed first: whatever the live path publishes from here is seen either way.
    const last = this.ctx.messages.published();
    if (last > this.busSeenId) this.busSeenId = last;
    this.ctx.bus.onAny((event) => this.fanout.deliverSystem(event));
    if (this.ctx.cluster.clustered) {
      this.cluster = new ChannelOccupancy(
        this.ctx.cluster.presence,
        this.presenceKey(''),
        (channel, occupied) => this.occupancy(channel, occupied),
        (err) => this.ctx.log.warn({ err }, 'ws-channels: cluster presence write failed'),
        this.ctx.clock,
      );
    }
    this.cancelHeartbeat = this.ctx.clock.setInterval(() => this.heartbeat(), this.options.heartbeat.intervalMs);
  }

  /** Closes every connection with 1012 so clients reconnect (to the next instance) and resume. */
  stop(reason: StopReason): void {
    this.stopping = true;
    this.cancelHeartbeat?.();
    for (const session of [...this.sessions]) this.close(session, CloseCodes.serviceRestart, STOP_REASONS[reason]);
    // The leaves just queued still report what they vacate.
    this.cluster?.close();
  }

  /** Publishes a change of the channel's occupancy (on a cluster: decided by the shared presence, once per cluster). */
  private occupancy(channel: string, occupied: boolean): void {
    this.ctx.bus.publish(occupied ? 'channel.occupied' : 'channel.vacated', {
      channel,
      transport: 'ws',
      at: this.now(),
    });
  }

  // -- topics -----------------------------------------------------------------------

  channelTopic(channel: string): string {
    return `${this.topicPrefix}c:${channel}`;
  }

  get allTopic(): string {
    return `${this.topicPrefix}*`;
  }

  // -- connection lifecycle -----------------------------------------------------------

  private async upgrade(request: Request, remoteAddress: string): Promise<Session | Response> {
    if (this.stopping) return new Response('ws-channels is restarting', { status: 503 });
    const handshake = await decide(request, this.ctx.auth, this.options, this.sessions.size);
    return new Session(++this.serial, handshake, remoteAddress);
  }

  private open(ws: WebSocketConnection<Session>): void {
    const session = ws.data;
    session.ws = ws;
    session.lastSeen = this.ctx.clock.now();
    this.sessions.add(session);
    const { handshake } = session;
    if (this.stopping) this.close(session, CloseCodes.serviceRestart, STOP_REASONS.reconfigure);
    else if (handshake.kind === 'refused') this.close(session, handshake.code, handshake.reason);
    else if (handshake.kind === 'ready') this.admit(session, handshake, undefined);
    else {
      session.addTimer(
        this.ctx.clock.setTimeout(() => {
          if (session.state === 'authenticating')
            this.close(session, CloseCodes.unauthorized, 'no auth frame within the authentication timeout');
        }, this.options.authTimeoutMs),
      );
    }
  }

  /** Gives the session its identity, direct messages and the broadcast topic, and says `connected`. */
  admit(session: Session, who: Extract<Handshake, { kind: 'ready' }>, requestId: string | number | undefined): void {
    const ws = session.ws as WebSocketConnection<Session>;
    // A re-authenticated connection gives back the slot of its previous identity first.
    session.releaseSlot?.();
    session.releaseSlot = null;
    try {
      session.releaseSlot = this.ctx.quotas.connections.acquire(who.access, session.remoteAddress);
    } catch (err) {
      this.close(session, CloseCodes.rateLimited, closeReason((err as Error).message));
      return;
    }
    if (session.state === 'open') this.leaveClient(session);
    session.clientId = who.clientId;
    session.access = who.access;
    session.state = 'open';
    if (this.byClient.add(session)) {
      this.ctx.bus.publish('client.connected', { clientId: who.clientId, transport: 'ws', at: this.now() });
    }
    ws.subscribe(this.allTopic);
    session.inboxJoined = true;
    session.inboxFrom = this.busSeenId;
    if (who.expiresAt !== null) {
      session.addTimer(
        this.ctx.clock.setTimeout(
          () => this.close(session, CloseCodes.unauthorized, 'the token expired'),
          Math.max(0, who.expiresAt - this.ctx.clock.now()),
        ),
      );
    }
    const connected = {
      type: 'connected',
      client_id: who.clientId,
      auth: who.access.via,
      system: who.access.system,
      // Whether a reconnect may ask for this id again with the same credential (anonymous clients only in open mode).
      keeps_id: who.access.via !== 'anonymous' || who.access.canActAs(who.clientId),
      last_id: this.busSeenId,
      heartbeat_ms: this.options.heartbeat.intervalMs,
      max_frame_bytes: this.options.maxFrameBytes,
      server_time: this.now(),
    };
    this.sendTo(session, JSON.stringify(requestId === undefined ? connected : { ...connected, id: requestId }));
  }

  private message(ws: WebSocketConnection<Session>, data: string | Uint8Array): void {
    const session = ws.data;
    if (session.state === 'closed') return;
    this.framesIn++;
    this.metrics.framesIn.inc();
    session.lastSeen = this.ctx.clock.now();
    const size = typeof data === 'string' ? frameBytes(data, this.options.maxFrameBytes) : data.byteLength;
    if (size > this.options.maxFrameBytes) {
      this.close(session, CloseCodes.tooBig, `frame larger than ${this.options.maxFrameBytes} bytes`);
      return;
    }
    handleFrame(this, session, data);
  }

  /** Closes a session: leaves its topics and presence now, then sends the close frame. */
  close(session: Session, code: number, reason: string): void {
    if (session.state === 'closed') return;
    const ws = session.ws;
    this.release(session, code);
    ws?.close(code, reason);
  }

  /** Forgets a session (idempotent: our close, then the runtime's close callback). */
  private release(session: Session, code: number): void {
    if (session.state === 'closed') return;
    const wasOpen = session.state === 'open';
    session.state = 'closed';
    session.releaseSlot?.();
    session.clearTimers();
    session.wake();
    for (const channel of [...session.live, ...(session.catching ?? [])]) this.leaveChannel(session, channel);
    if (wasOpen) this.leaveClient(session);
    this.sessions.delete(session);
    this.metrics.closes.inc({ cause: closeCause(code) });
  }

  private leaveClient(session: Session): void {
    session.inboxJoined = false;
    if (!this.byClient.remove(session)) return;
    this.ctx.bus.publish('client.disconnected', { clientId: session.clientId, transport: 'ws', at: this.now() });
  }

  // -- subscriptions and presence -------------------------------------------------------

  /**
   * Adds the session to a channel's presence (it is catching up until `goLive`). On a
   * cluster, when the session is its client's first in the channel here, returns the
   * shared presence write, which resolves once the cluster counts the client.
   */
  enterChannel(session: Session, channel: string): Promise<void> | null {
    let state = this.channels.get(channel);
    if (!state) {
      const system = isSystemChannel(channel);
      state = {
        sessions: new Set(),
        live: 0,
        ...(system ? { matches: compilePatterns([systemEventPattern(channel)]) } : {}),
      };
      this.channels.set(channel, state);
      if (system) this.systemChannels.set(channel, state);
      if (!this.cluster) this.occupancy(channel, true);
    }
    // The client's first session in the channel joins the shared presence. Only open
    // sessions enter channels, and every open session is in `byClient`.
    const first = this.cluster !== null && !this.byClient.otherIn(session, state.sessions);
    state.sessions.add(session);
    session.startCatchingUp(channel);
    return first ? (this.cluster?.join(channel, session.clientId) ?? null) : null;
  }

  /**
   * The client ids subscribed to `channel`: on every node of a cluster (shared
   * presence; a dead node's clients drop out within seconds), else this node's.
   */
  async clientsOf(channel: string): Promise<string[]> {
    if (this.ctx.cluster.clustered) {
      return (await this.ctx.cluster.presence.list(this.presenceKey(channel))).map((e) => e.clientId);
    }
    const state = this.channels.get(channel);
    return [...new Set([...(state?.sessions ?? [])].map((s) => s.clientId))].sort();
  }

  /**
   * On a cluster, this plugin's channels with subscribers on any live node (names
   * without the presence prefix), from the shared presence; null on a single hub.
   */
  async clusterChannels(prefix = ''): Promise<PresenceChannel[] | null> {
    if (!this.ctx.cluster.clustered) return null;
    const key = this.presenceKey('');
    const found = await this.ctx.cluster.presence.channels(key + prefix);
    return found.map((c) => ({ ...c, channel: c.channel.slice(key.length) }));
  }

  private presenceKey(channel: string): string {
    return `${this.ctx.name}:${channel}`;
  }

  /** Joins the channels' topics (and with `inbox`, resumes live direct messages), in the tick of the last read. */
  goLive(session: Session, channels: readonly string[], inbox: boolean): void {
    const ws = session.ws;
    if (!ws || session.state !== 'open') return;
    for (const channel of channels) {
      const state = this.channels.get(channel);
      if (!state || !session.promote(channel)) continue;
      state.live++;
      ws.subscribe(this.channelTopic(channel));
    }
    if (inbox) session.inboxJoined = true;
  }

  leaveChannel(session: Session, channel: string): void {
    const state = this.channels.get(channel);
    if (session.drop(channel)) {
      if (state) state.live--;
      session.ws?.unsubscribe(this.channelTopic(channel));
    }
    if (!state?.sessions.delete(session)) return;
    if (this.cluster && !this.byClient.otherIn(session, state.sessions)) this.cluster.leave(channel, session.clientId);
    if (state.sessions.size) return;
    this.channels.delete(channel);
    this.systemChannels.delete(channel);
    if (!this.cluster) this.occupancy(channel, false);
  }

  /** Stops live direct messages while a first resume replays them. */
  leaveInbox(session: Session): void {
    session.inboxJoined = false;
  }

  subscriptionCount(): number {
    let n = 0;
    for (const state of this.channels.values()) n += state.sessions.size;
    return n;
  }

  /** Sends one frame to one session and enforces its send-buffer bound. */
  sendTo(session: Session, frame: string): boolean {
    return this.fanout.sendTo(session, frame);
  }

  slowConsumer(session: Session): void {
    if (session.state === 'closed') return;
    this.slowConsumerCloses++;
    this.metrics.slowConsumers.inc();
    this.close(session, CloseCodes.slowConsumer, 'slow consumer: reconnect and resume with since');
  }

  private heartbeat(): void {
    const now = this.ctx.clock.now();
    const { idleTimeoutMs } = this.options.heartbeat;
    for (const session of [...this.sessions]) {
      if (session.state !== 'open') continue;
      if (now - session.lastSeen > idleTimeoutMs) {
        this.close(session, CloseCodes.idleTimeout, 'idle timeout: no frame or pong received');
        continue;
      }
      if (session.bufferedAmount() > this.options.sendBufferBytes) this.slowConsumer(session);
      // A runtime that cannot ping reports no pongs either: silence proves nothing there.
      else if (session.ws && !session.ws.ping()) session.lastSeen = now;
    }
  }

  now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }
}
