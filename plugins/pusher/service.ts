import type { PluginContext, StopReason, WebSocketEndpoint } from '../../src/kernel/plugin.ts';
import type { Message } from '../../src/messages/types.ts';
import type { WebSocketConnection } from '../../src/runtime/types.ts';
import { type AppState, type ChannelState, resolveApps } from './apps.ts';
import { type ChannelCounts, PusherCluster } from './cluster.ts';
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
  subscriptionError,
} from './protocol.ts';
import { type Admission, newSocketId, Session } from './session.ts';
import { PusherWebhooks } from './webhooks.ts';

const HEARTBEAT_TICK_MS = 1000;
/** On a cluster: how often a node checks its presence channels' members against the shared presence. */
const MEMBER_CHECK_MS = 2000;
/** A member the shared presence has held this long, unknown to this node's subscribers, is announced to them. */
const MEMBER_ADD_GRACE_MS = 5000;
/** Member events cross nodes as stored messages of these types; they are live signals, kept briefly. */
const MEMBER_ADDED = 'pusher_internal:member_added';
const MEMBER_REMOVED = 'pusher_internal:member_removed';
const MEMBER_EVENT_TTL_SECONDS = 60;
/** How long a stop waits for its member writes to the shared presence. */
const STOP_SETTLE_MS = 5000;

/** A presence member as subscribe passes it. */
export interface MemberInput {
  id: string;
  info: unknown;
}

/**
 * The pusher plugin's long-lived state: the apps, their connections, channels and
 * presence. Every event reaches subscribers the same way: it is stored as a Relaykit
 * message on the app's mapped channel, and the `message.sent` bus event fans it out
 * with one pub/sub publish per channel (the sender's socket left out for a moment).
 *
 * On a cluster (PostgreSQL), channels and presence members are also written to the
 * shared presence (`PusherCluster`): occupancy, member lists and the HTTP API's counts
 * are the whole cluster's, and `member_added` / `member_removed` are stored as messages
 * of their internal event names on the app's mapped channel, so they reach every node.
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
  private stopping = false;
  private cancelHeartbeat: (() => void) | null = null;
  private cancelMemberCheck: (() => void) | null = null;
  private checkingMembers = false;

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
        (err) => ctx.log.warn({ err }, 'pusher: cluster presence write failed'),
      );
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
    if (this.cluster) {
      this.cancelMemberCheck = this.ctx.clock.setInterval(() => void this.checkMembers(), MEMBER_CHECK_MS);
    }
  }

  /**
   * Closes every connection with 4200: pusher-js reconnects at once (to the next instance).
   * On a cluster, resolves once their member writes are done (at most STOP_SETTLE_MS).
   */
  async stop(reason: StopReason): Promise<void> {
    this.stopping = true;
    this.cancelHeartbeat?.();
    this.cancelMemberCheck?.();
    const why = reason === 'disable' ? 'the pusher plugin was disabled' : 'the server is restarting; reconnect';
    for (const session of [...this.bySocket.values()]) this.close(session, PusherCodes.reconnect, why);
    if (this.cluster) {
      // The leaves just queued still report what they vacate.
      this.cluster.close();
      let cancel = () => {};
      const late = new Promise<void>((resolve) => {
        cancel = this.ctx.clock.setTimeout(resolve, STOP_SETTLE_MS);
      });
      await Promise.race([this.cluster.settle(), late]);
      cancel();
    }
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
   * On a cluster: adds a subscribed session to a channel, writing it (and its user) to the
   * shared presence, and resolves with the `subscription_succeeded` data once the session
   * is in the channel's topic; null when the session is gone meanwhile or the presence
   * channel is full (the error is sent). The session counts as subscribed from the start
   * (a close meanwhile leaves as usual) but gets no event before its answer.
   */
  async joinCluster(
    app: AppState,
    session: Session,
    channel: string,
    member: MemberInput | null,
  ): Promise<object | null> {
    const cluster = this.cluster as PusherCluster;
    let state = app.channels.get(channel);
    if (!state) {
      state = { sessions: new Set(), members: member ? new Map() : null, view: member ? new Map() : null };
      app.channels.set(channel, state);
    }
    state.sessions.add(session);
    session.channels.set(channel, member?.id ?? null);
    cluster.subscribed(app.id, channel, session.socketId);
    let data: object = {};
    if (member && state.members) {
      const known = state.members.get(member.id);
      if (known) known.sessions++;
      else state.members.set(member.id, { info: member.info, sessions: 1 });
      const started = this.ctx.clock.now();
      let members: Awaited<ReturnType<PusherCluster['joinMember']>>['members'];
      let first = false;
      try {
        if (known) members = await cluster.membersAfterWrites(app.id, channel);
        else ({ members, first } = await cluster.joinMember(app.id, channel, member.id, member.info, started));
      } catch (err) {
        this.ctx.log.warn({ err }, 'pusher: the members of a presence channel could not be read');
        this.leave(app, session, channel, true);
        this.sendTo(session, subscriptionError(channel, 'PresenceError', 'The member list is unavailable', 503));
        return null;
      }
      if (first && members.length > app.config.maxPresenceMembers) {
        this.leave(app, session, channel, true);
        const why = `The presence channel has its maximum of ${app.config.maxPresenceMembers} members`;
        this.sendTo(session, subscriptionError(channel, 'PresenceError', why, 400));
        return null;
      }
      // The view keeps members the list lacks: the member check removes them for the older subscribers.
      const view = state.view as Map<string, unknown>;
      for (const m of members) view.set(m.clientId, m.data);
      data = presenceData(new Map(members.map((m) => [m.clientId, m.data])));
      if (first) this.memberEvent(app, channel, MEMBER_ADDED, member.id, member.info, session.socketId);
    }
    if (session.state === 'closed' || !session.channels.has(channel)) return null;
    session.ws?.subscribe(this.topic(app, channel));
    return data;
  }

  /**
   * The `subscription_succeeded` data of a channel: `{}`, or a presence channel's members
   * (on a cluster, every node's as this node knows them).
   */
  succeededData(app: AppState, channel: string): object {
    const state = app.channels.get(channel);
    if (!state?.members) return {};
    if (!state.view) {
      const local = new Map([...state.members].map(([id, m]) => [id, m.info]));
      return presenceData(local);
    }
    return presenceData(state.view);
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
    this.cluster?.unsubscribed(app.id, channel, session.socketId);
    const member = userId === null ? undefined : state.members?.get(userId);
    if (member && userId !== null && --member.sessions === 0) {
      state.members?.delete(userId);
      if (this.cluster) void this.leaveMember(app, channel, userId, session.socketId, quiet);
      else {
        this.publish(app, channel, frame(MEMBER_REMOVED, { user_id: userId }, channel));
        this.webhooks.memberEvent(app, 'member_removed', channel, userId);
      }
    }
    if (state.sessions.size) return;
    app.channels.delete(channel);
    if (!this.cluster) this.occupancy(app, channel, false);
  }

  /** On a cluster: the user's last connection to the channel on this node is gone. */
  private async leaveMember(app: AppState, channel: string, userId: string, socketId: string, quiet: boolean) {
    try {
      const gone = await (this.cluster as PusherCluster).leaveMember(app.id, channel, userId);
      if (gone && !quiet) this.memberEvent(app, channel, MEMBER_REMOVED, userId, null, socketId);
    } catch (err) {
      this.ctx.log.warn({ err }, 'pusher: a presence member could not be removed from the cluster');
    }
  }

  /**
   * On a cluster: announces a member change decided on this node: its webhook here, and a
   * stored message of the internal event name, which every node (this one too) frames
   * for its subscribers of the channel, leaving out the connection it came from.
   */
  private memberEvent(
    app: AppState,
    channel: string,
    type: typeof MEMBER_ADDED | typeof MEMBER_REMOVED,
    userId: string,
    info: unknown,
    socketId: string,
  ): void {
    const added = type === MEMBER_ADDED;
    this.webhooks.memberEvent(app, added ? 'member_added' : 'member_removed', channel, userId);
    const payload = added ? { user_id: userId, user_info: info } : { user_id: userId };
    const stored = this.ctx.messages
      .send({
        channel: relaykitChannel(app.id, channel),
        type,
        payload,
        from: socketId,
        ttl: MEMBER_EVENT_TTL_SECONDS,
      })
      .catch((err: unknown) => this.ctx.log.warn({ err, type }, 'pusher: a member event could not be stored'));
    this.cluster?.track(stored);
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

  /**
   * On a cluster: compares each presence channel this node has subscribers in with the
   * shared presence. Members gone without a `member_removed` (their node was killed and
   * its entries expired) are removed for this node's subscribers, and members present for
   * `MEMBER_ADD_GRACE_MS` that they never heard of (their node's entries written back
   * after a sweep) are added. Only channels whose member count differs are listed.
   */
  private async checkMembers(): Promise<void> {
    const cluster = this.cluster;
    if (!cluster || this.checkingMembers) return;
    this.checkingMembers = true;
    try {
      for (const app of this.apps.values()) {
        const local = [...app.channels].filter(([, state]) => state.view !== null);
        if (!local.length) continue;
        const counts = await cluster.counts(app.id, 'presence-');
        for (const [channel, state] of local) {
          const view = state.view as Map<string, unknown>;
          if ((counts.get(channel)?.users ?? 0) === view.size) continue;
          const members = await cluster.members(app.id, channel);
          if (app.channels.get(channel) !== state) continue;
          this.reconcile(app, channel, state, members, this.ctx.clock.now() - MEMBER_ADD_GRACE_MS);
        }
      }
    } catch (err) {
      this.ctx.log.warn({ err }, 'pusher: presence members could not be checked against the cluster');
    } finally {
      this.checkingMembers = false;
    }
  }

  private reconcile(
    app: AppState,
    channel: string,
    state: ChannelState,
    members: Awaited<ReturnType<PusherCluster['members']>>,
    addedBefore: number,
  ): void {
    const view = state.view as Map<string, unknown>;
    const present = new Set(members.map((m) => m.clientId));
    for (const userId of [...view.keys()]) {
      if (present.has(userId)) continue;
      view.delete(userId);
      this.publish(app, channel, frame(MEMBER_REMOVED, { user_id: userId }, channel));
    }
    for (const m of members) {
      if (view.has(m.clientId) || m.joinedAt > addedBefore) continue;
      view.set(m.clientId, m.data);
      this.publish(app, channel, frame(MEMBER_ADDED, { user_id: m.clientId, user_info: m.data }, channel));
    }
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
    const target = pusherChannel(message.channel);
    const app = target && this.apps.get(target.appId);
    if (!target || !app) return;
    const state = app.channels.get(target.channel);
    if (!state) return;
    const sender = message.from === null ? undefined : this.bySocket.get(message.from);
    if (state.view && (message.type === MEMBER_ADDED || message.type === MEMBER_REMOVED)) {
      // A member event of the cluster (memberEvent): this node's view follows it.
      const { user_id: id, user_info: info } = (message.payload ?? {}) as { user_id?: unknown; user_info?: unknown };
      if (typeof id !== 'string') return;
      if (message.type === MEMBER_ADDED) state.view.set(id, info ?? null);
      else state.view.delete(id);
      const text = frame(message.type, dataOf(message.payload), target.channel);
      this.publish(app, target.channel, text, sender && state.sessions.has(sender) ? sender : undefined);
      return;
    }
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

/** `subscription_succeeded` data of a presence channel from its members (user id -> user_info). */
function presenceData(members: ReadonlyMap<string, unknown>): object {
  return {
    presence: { ids: [...members.keys()], hash: Object.fromEntries(members), count: members.size },
  };
}
