import type { PluginContext, StopReason, WebSocketEndpoint } from '../../src/kernel/plugin.ts';
import type { Message } from '../../src/messages/types.ts';
import type { WebSocketConnection } from '../../src/runtime/types.ts';
import { type AppState, resolveApps } from './apps.ts';
import { type ChannelCounts, PusherCluster } from './cluster.ts';
import {
  ClusterMembers,
  MEMBER_ADDED,
  MEMBER_CHECK_MS,
  MEMBER_REMOVED,
  type MemberInput,
  presenceData,
} from './cluster-members.ts';
import { handleFrame } from './commands.ts';
import { closeCause, createPusherMetrics, type PusherMetrics } from './metrics.ts';
import type { PusherConfig } from './options.ts';
import {
  closeReason,
  dataOf,
  errorFrame,
  frame,
  PROTOCOL_VERSION,
  PusherCodes,
  pusherChannel,
  relaykitChannel,
} from './protocol.ts';
import { type Admission, newSocketId, Session } from './session.ts';
import { PusherWebhooks } from './webhooks.ts';

const HEARTBEAT_TICK_MS = 1000;

/**
 * The pusher plugin's long-lived state: the apps, their connections, channels and
 * presence. Every event reaches subscribers the same way: it is stored as a Relaykit
 * message on the app's mapped channel, and the `message.sent` bus event fans it out
 * with one pub/sub publish per channel (the sender's socket left out for a moment).
 *
 * On a cluster (PostgreSQL), channels and presence members are also written to the
 * shared presence (`PusherCluster`): occupancy, member lists and the HTTP API's counts
 * are the whole cluster's, and `member_added` / `member_removed` are stored as messages
 * of their internal event names on the app's channel `pusher.{appId}`, so they reach
 * every node (`ClusterMembers`).
 */
export class PusherService {
  readonly apps = new Map<string, AppState>();
  readonly byKey = new Map<string, AppState>();
  readonly bySocket = new Map<string, Session>();
  readonly metrics: PusherMetrics;
  readonly endpoint: WebSocketEndpoint<Session>;
  readonly webhooks: PusherWebhooks;
  /** On a cluster: the shared presence of channels and members; null on a single hub. */
  readonly cluster: PusherCluster | null = null;
  /** On a cluster: presence channels' members across the nodes; null on a single hub. */
  readonly clusterMembers: ClusterMembers | null = null;
  private stopping = false;
  private cancelHeartbeat: (() => void) | null = null;
  private cancelMemberCheck: (() => void) | null = null;

  constructor(
    readonly ctx: PluginContext<PusherConfig>,
    env: Record<string, string | undefined>,
  ) {
    for (const app of resolveApps(ctx.options, env)) {
      this.apps.set(app.id, app);
      this.byKey.set(app.key, app);
    }
    this.webhooks = new PusherWebhooks(ctx.bus, ctx.clock, ctx.options.webhookBatchMs);
    if (ctx.cluster.clustered) {
      this.cluster = new PusherCluster(
        ctx.cluster.presence,
        ctx.name,
        (appId, channel, occupied) => {
          const app = this.apps.get(appId);
          if (app) this.occupancy(app, channel, occupied);
        },
        (appId, channel, userId, present) => this.clusterMembers?.changed(appId, channel, userId, present),
        (err) => ctx.log.warn({ err }, 'pusher: cluster presence write failed'),
        ctx.clock,
      );
      this.clusterMembers = new ClusterMembers(this, this.cluster);
    }
    this.metrics = createPusherMetrics(ctx.metrics, {
      connections: () => this.bySocket.size,
      channels: () => {
        let n = 0;
        for (const app of this.apps.values()) n += app.channels.size;
        return n;
      },
    });
    this.endpoint = {
      path: '/app/*',
      upgrade: (request, remoteAddress) => this.upgrade(request, remoteAddress),
      // Pusher apps have their own allowedOrigins (public channels are public by design).
      checksOrigin: true,
      handlers: {
        open: (ws) => this.open(ws),
        message: (ws, data) => this.message(ws, data),
        close: (ws, code) => this.release(ws.data, code),
      },
    };
  }

  get options(): PusherConfig {
    return this.ctx.options;
  }

  start(): void {
    this.ctx.bus.on('message.sent', (message) => this.deliver(message));
    this.cancelHeartbeat = this.ctx.clock.setInterval(() => this.heartbeat(), HEARTBEAT_TICK_MS);
    const members = this.clusterMembers;
    if (members) this.cancelMemberCheck = this.ctx.clock.setInterval(() => void members.check(), MEMBER_CHECK_MS);
  }

  /**
   * Closes every connection with 4200: pusher-js reconnects at once (to the next instance).
   * On a cluster, resolves once their member writes are done (at most 5 s).
   */
  async stop(reason: StopReason): Promise<void> {
    this.stopping = true;
    this.cancelHeartbeat?.();
    this.cancelMemberCheck?.();
    const why = reason === 'disable' ? 'the pusher plugin was disabled' : 'the server is restarting; reconnect';
    for (const session of [...this.bySocket.values()]) this.close(session, PusherCodes.reconnect, why);
    // The leaves just queued still report what they vacate; the next instance's joins must not meet them.
    this.cluster?.close();
    await this.clusterMembers?.settle();
    this.webhooks.flushAll();
  }

  topic(app: AppState, channel: string): string {
    return `${this.ctx.name}|${app.id}|${channel}`;
  }

  // -- connections ----------------------------------------------------------------------

  private upgrade(request: Request, remoteAddress: string): Session | Response {
    if (this.stopping) return new Response('the pusher plugin is restarting', { status: 503 });
    const session = new Session(newSocketId(), this.admit(request));
    session.remoteAddress = remoteAddress;
    return session;
  }

  /** Decides whether the upgrade may become a connection of an app. */
  private admit(request: Request): Admission {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    const app = this.byKey.get(key);
    if (!app) return { kind: 'refused', code: PusherCodes.appNotFound, reason: `App key ${key} not in this cluster` };
    const protocol = url.searchParams.get('protocol');
    if (protocol === null)
      return { kind: 'refused', code: PusherCodes.noVersion, reason: 'No protocol version supplied' };
    if (!/^\d+$/.test(protocol)) {
      return { kind: 'refused', code: PusherCodes.invalidVersion, reason: 'Invalid version string format' };
    }
    if (Number(protocol) !== PROTOCOL_VERSION) {
      return {
        kind: 'refused',
        code: PusherCodes.unsupportedVersion,
        reason: `Unsupported protocol version ${protocol}`,
      };
    }
    const origin = request.headers.get('origin');
    const allowed = app.config.allowedOrigins;
    if (allowed.length && !(origin && allowed.includes(origin))) {
      return { kind: 'refused', code: PusherCodes.unauthorized, reason: 'Origin not allowed' };
    }
    if (app.config.maxConnections > 0 && app.sessions.size >= app.config.maxConnections) {
      return { kind: 'refused', code: PusherCodes.overQuota, reason: 'Application is over connection quota' };
    }
    return { kind: 'ok', app };
  }

  private open(ws: WebSocketConnection<Session>): void {
    const session = ws.data;
    session.ws = ws;
    session.lastSeen = this.ctx.clock.now();
    const { admission } = session;
    if (admission.kind === 'refused') {
      session.send(errorFrame(admission.code, admission.reason));
      session.state = 'closed';
      ws.close(admission.code, closeReason(admission.reason));
      this.metrics.closes.inc({ cause: closeCause(admission.code) });
      return;
    }
    if (this.stopping) {
      session.state = 'closed';
      ws.close(PusherCodes.reconnect, 'the server is restarting; reconnect');
      return;
    }
    try {
      // One address cannot take every socket (limits.connectionsPerIp, shared with /ws and SSE).
      session.releaseSlot = this.ctx.quotas.connections.acquireAddress(session.remoteAddress);
    } catch (err) {
      const reason = (err as Error).message;
      session.send(errorFrame(PusherCodes.overQuota, reason));
      session.state = 'closed';
      ws.close(PusherCodes.overQuota, closeReason(reason));
      this.metrics.closes.inc({ cause: closeCause(PusherCodes.overQuota) });
      return;
    }
    session.state = 'open';
    admission.app.sessions.add(session);
    this.bySocket.set(session.socketId, session);
    const data = { socket_id: session.socketId, activity_timeout: this.options.activityTimeoutSeconds };
    this.sendTo(session, frame('pusher:connection_established', data));
  }

  private message(ws: WebSocketConnection<Session>, data: string | Uint8Array): void {
    const session = ws.data;
    if (session.state !== 'open') return;
    session.lastSeen = this.ctx.clock.now();
    session.pingSentAt = null;
    this.metrics.framesIn.inc();
    const size = typeof data === 'string' ? data.length : data.byteLength;
    if (size > this.options.maxFrameBytes) {
      this.close(session, PusherCodes.unauthorized, `Frame larger than ${this.options.maxFrameBytes} bytes`);
      return;
    }
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    session.queue = session.queue
      .then(() => handleFrame(this, session, text))
      .catch((err: unknown) => {
        // handleFrame answers bad input itself; reaching here is a bug: log it, keep the connection.
        this.ctx.log.error({ err, socketId: session.socketId }, 'a pusher frame could not be handled');
        this.sendTo(session, errorFrame(null, 'Internal error handling the frame'));
      });
  }

  close(session: Session, code: number, reason: string): void {
    if (session.state === 'closed') return;
    const ws = session.ws;
    this.release(session, code);
    ws?.close(code, closeReason(reason));
  }

  /** Forgets a session (idempotent: our close, then the runtime's close callback). */
  private release(session: Session, code: number): void {
    if (session.state === 'closed') return;
    session.state = 'closed';
    session.releaseSlot?.();
    const app = session.app;
    if (!app) return;
    for (const channel of [...session.channels.keys()]) this.leave(app, session, channel);
    if (session.userId !== null) this.forgetUser(app, session);
    app.sessions.delete(session);
    this.bySocket.delete(session.socketId);
    this.metrics.closes.inc({ cause: closeCause(code) });
  }

  // -- channels and presence -------------------------------------------------------------

  /** Adds a subscribed session to a channel (and its user to the presence members). Single hub. */
  join(app: AppState, session: Session, channel: string, member: MemberInput | null): void {
    let state = app.channels.get(channel);
    if (!state) {
      state = { sessions: new Set(), members: member ? new Map() : null, view: null };
      app.channels.set(channel, state);
      this.occupancy(app, channel, true);
    }
    if (member && state.members) {
      const known = state.members.get(member.id);
      if (known) known.sessions++;
      else {
        state.members.set(member.id, { info: member.info, sessions: 1 });
        const added = frame(MEMBER_ADDED, { user_id: member.id, user_info: member.info }, channel);
        this.publish(app, channel, added);
        this.webhooks.memberEvent(app, 'member_added', channel, member.id);
      }
    }
    state.sessions.add(session);
    session.channels.set(channel, member?.id ?? null);
    session.ws?.subscribe(this.topic(app, channel));
  }

  /**
   * The `subscription_succeeded` data of a channel: `{}`, or a presence channel's members
   * (on a cluster, every node's as this node knows them).
   */
  succeededData(app: AppState, channel: string): object {
    const state = app.channels.get(channel);
    if (!state?.members) return {};
    if (state.view) return presenceData(state.view.infos());
    return presenceData(new Map([...state.members].map(([id, m]) => [id, m.info])));
  }

  /** Removes a session from a channel; `quiet` (a refused presence join) announces no member_removed. */
  leave(app: AppState, session: Session, channel: string, quiet = false): void {
    if (!session.channels.has(channel)) return;
    const userId = session.channels.get(channel) ?? null;
    session.channels.delete(channel);
    session.ws?.unsubscribe(this.topic(app, channel));
    const state = app.channels.get(channel);
    if (!state) return;
    state.sessions.delete(session);
    state.view?.sessions.delete(session);
    this.cluster?.unsubscribed(app.id, channel, session.socketId);
    const member = userId === null ? undefined : state.members?.get(userId);
    if (member && userId !== null && --member.sessions === 0) {
      state.members?.delete(userId);
      if (this.clusterMembers) void this.clusterMembers.left(app, channel, userId, session.socketId, quiet);
      else {
        this.publish(app, channel, frame(MEMBER_REMOVED, { user_id: userId }, channel));
        this.webhooks.memberEvent(app, 'member_removed', channel, userId);
      }
    }
    if (state.sessions.size) return;
    app.channels.delete(channel);
    if (!this.cluster) this.occupancy(app, channel, false);
  }

  /** Publishes a change of a channel's occupancy (on a cluster: decided by the shared presence, once per cluster). */
  private occupancy(app: AppState, channel: string, occupied: boolean): void {
    this.ctx.bus.publish(occupied ? 'channel.occupied' : 'channel.vacated', {
      channel: relaykitChannel(app.id, channel),
      transport: 'pusher',
      at: this.now(),
    });
    this.webhooks.channelEvent(app, occupied ? 'channel_occupied' : 'channel_vacated', channel);
  }

  /** The counts of the app's channels starting with `prefix`: the cluster's, or this node's on a single hub. */
  async channelCounts(app: AppState, prefix: string): Promise<Map<string, ChannelCounts>> {
    if (this.cluster) return this.cluster.counts(app.id, prefix);
    const out = new Map<string, ChannelCounts>();
    for (const [name, state] of app.channels) {
      if (name.startsWith(prefix))
        out.set(name, { subscriptions: state.sessions.size, users: state.members?.size ?? 0 });
    }
    return out;
  }

  /** One channel's counts: the cluster's, or this node's on a single hub. */
  async channelCount(app: AppState, channel: string): Promise<ChannelCounts> {
    if (this.cluster) return this.cluster.count(app.id, channel);
    const state = app.channels.get(channel);
    return { subscriptions: state?.sessions.size ?? 0, users: state?.members?.size ?? 0 };
  }

  /** The user ids of a presence channel: the cluster's, or this node's on a single hub. */
  async channelUsers(app: AppState, channel: string): Promise<string[]> {
    if (this.cluster) return (await this.cluster.members(app.id, channel)).map((m) => m.clientId);
    return [...(app.channels.get(channel)?.members?.keys() ?? [])];
  }

  signIn(app: AppState, session: Session, userId: string): void {
    if (session.userId !== null) this.forgetUser(app, session);
    session.userId = userId;
    const sessions = app.users.get(userId) ?? new Set<Session>();
    app.users.set(userId, sessions);
    sessions.add(session);
  }

  private forgetUser(app: AppState, session: Session): void {
    const sessions = app.users.get(session.userId as string);
    sessions?.delete(session);
    if (sessions && !sessions.size) app.users.delete(session.userId as string);
  }

  // -- delivery -------------------------------------------------------------------------

  /** Stores an event of an app's channel as a Relaykit message (committed when this resolves). */
  trigger(
    source: 'http' | 'client',
    app: AppState,
    channel: string,
    event: string,
    payload: unknown,
    socketId: string | null,
  ): Promise<Message> {
    this.metrics.events.inc({ source });
    return this.ctx.messages.send({
      channel: relaykitChannel(app.id, channel),
      type: event,
      payload,
      ...(socketId === null ? {} : { from: socketId }),
    });
  }

  /** A stored message on a Pusher app's channel reaches that channel's subscribers. */
  private deliver(message: Message): void {
    if (message.channel === null || message.to !== null) return;
    if (this.clusterMembers?.deliver(message)) return;
    const target = pusherChannel(message.channel);
    const app = target && this.apps.get(target.appId);
    if (!target || !app) return;
    const state = app.channels.get(target.channel);
    if (!state) return;
    const sender = message.from === null ? undefined : this.bySocket.get(message.from);
    const userId = sender?.channels.get(target.channel);
    const extra = userId ? { user_id: userId } : undefined;
    const text = frame(message.type, dataOf(message.payload), target.channel, extra);
    this.publish(app, target.channel, text, sender && state.sessions.has(sender) ? sender : undefined);
  }

  /** One publish to the channel's topic; `except` is left out (Pusher never echoes to the sender). */
  publish(app: AppState, channel: string, text: string, except?: Session): void {
    const state = app.channels.get(channel);
    const receivers = (state?.sessions.size ?? 0) - (except ? 1 : 0);
    if (receivers <= 0) return;
    const topic = this.topic(app, channel);
    except?.ws?.unsubscribe(topic);
    this.ctx.server.publish(topic, text);
    except?.ws?.subscribe(topic);
    this.metrics.framesOut.inc(receivers);
  }

  sendTo(session: Session, text: string): void {
    if (session.send(text)) this.metrics.framesOut.inc();
  }

  /** Closes the connections of a signed-in user (`terminate_connections`); returns how many. */
  terminate(app: AppState, userId: string): number {
    const sessions = [...(app.users.get(userId) ?? [])];
    for (const s of sessions) this.close(s, PusherCodes.unauthorized, 'Connection terminated by the application');
    return sessions.length;
  }

  // -- liveness -------------------------------------------------------------------------

  /** Pings connections silent for `activity_timeout`; closes those that did not answer in time. */
  private heartbeat(): void {
    const now = this.ctx.clock.now();
    const idle = this.options.activityTimeoutSeconds * 1000;
    const grace = this.options.pongTimeoutSeconds * 1000;
    for (const session of [...this.bySocket.values()]) {
      if (session.pingSentAt !== null) {
        if (now - session.pingSentAt >= grace) this.close(session, PusherCodes.pongTimeout, 'Pong reply not received');
      } else if (now - session.lastSeen >= idle) {
        session.pingSentAt = now;
        this.sendTo(session, frame('pusher:ping', {}));
      }
    }
  }

  now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }
}
