import type { PresenceEntry } from '../../src/cluster/presence.ts';
import { within } from '../../src/kernel/clock.ts';
import type { Message } from '../../src/messages/types.ts';
import type { AppState, ChannelState } from './apps.ts';
import type { PusherCluster } from './cluster.ts';
import { CHANNEL_PREFIX, frame, subscriptionError } from './protocol.ts';
import type { PusherService } from './service.ts';
import type { Session } from './session.ts';

/** Member events cross nodes as stored messages of these (Pusher's internal) event names, on `pusher.{appId}`. */
export const MEMBER_ADDED = 'pusher_internal:member_added';
export const MEMBER_REMOVED = 'pusher_internal:member_removed';
/** They are live signals: kept briefly in the log. */
const MEMBER_EVENT_TTL_SECONDS = 60;
/** How often a node checks its presence channels' members against the shared presence. */
export const MEMBER_CHECK_MS = 2000;
/** A member the shared presence has held this long, unknown to this node's subscribers, is announced to them. */
const MEMBER_ADD_GRACE_MS = 5000;
/** How long a stop waits for its member writes to the shared presence. */
const STOP_SETTLE_MS = 5000;

/** A presence member as subscribe passes it. */
export interface MemberInput {
  id: string;
  info: unknown;
}

/**
 * One presence channel's members across the cluster as this node's subscribers were
 * told, with change numbers: a member event reaches only the subscribers that have not
 * heard of it (a connection whose member list already held the user gets no
 * `member_added` for it), and a member check leaves alone the users changed while it read.
 */
export class MemberView {
  /** User id -> `user_info` and the change that brought the user into the view. */
  readonly members = new Map<string, { info: unknown; since: number }>();
  /** Subscriber -> the change after which its member list was read. */
  readonly sessions = new Map<Session, number>();
  /** User id -> its last change, kept until a member check no longer needs it. */
  readonly touched = new Map<string, number>();
  changes = 0;

  /** Adds a member; resolves the change that brought it in (an earlier one when it was there). */
  add(id: string, info: unknown): number {
    const known = this.members.get(id);
    this.touched.set(id, ++this.changes);
    if (known) {
      known.info = info;
      return known.since;
    }
    this.members.set(id, { info, since: this.changes });
    return this.changes;
  }

  remove(id: string): void {
    this.members.delete(id);
    this.touched.set(id, ++this.changes);
  }

  infos(): Map<string, unknown> {
    return new Map([...this.members].map(([id, m]) => [id, m.info]));
  }
}

/**
 * Presence channels on a cluster. Each node writes its members to the shared presence
 * (`PusherCluster`) and answers `subscription_succeeded` with every node's members. The
 * one node whose write made a user present in a channel (its first connection on any
 * node) or absent (its last one gone from every node, or the sweep that deleted a killed
 * node's entries) announces `member_added` (`member_removed`): the webhook there, and a
 * stored message of the internal event name on the app's channel `pusher.{appId}`
 * (payload: the Pusher channel, `user_id`, `user_info`), which the cluster's live feed
 * brings to every node; each frames it for its subscribers of that Pusher channel (the
 * connection it came from left out).
 *
 * Each node keeps a view of the members its subscribers were told of (`ChannelState.view`)
 * and checks it against the shared presence every `MEMBER_CHECK_MS`, a safety net for
 * announcements lost or overtaken: members gone from the shared presence are removed for
 * this node's subscribers (a killed node's, once its entries stop counting, even before
 * the sweep announces them), and members present for `MEMBER_ADD_GRACE_MS` they never
 * heard of are added.
 */
export class ClusterMembers {
  private checking = false;

  constructor(
    private readonly svc: PusherService,
    private readonly cluster: PusherCluster,
  ) {}

  /**
   * Adds a subscribed session to a channel, writing it (and its user) to the shared
   * presence, and resolves with the `subscription_succeeded` data once the session is in
   * the channel's topic; null when the session is gone meanwhile or the presence channel
   * is full (the error is sent). The session counts as subscribed from the start (a close
   * meanwhile leaves as usual) but gets no event before its answer.
   */
  async join(app: AppState, session: Session, channel: string, member: MemberInput | null): Promise<object | null> {
    const { svc, cluster } = this;
    let state = app.channels.get(channel);
    if (!state) {
      state = {
        sessions: new Set(),
        members: member ? new Map() : null,
        view: member ? new MemberView() : null,
      };
      app.channels.set(channel, state);
    }
    state.sessions.add(session);
    session.channels.set(channel, member?.id ?? null);
    const counted = cluster.subscribed(app.id, channel, session.socketId);
    let data: object = {};
    if (member && state.members && state.view) {
      const known = state.members.get(member.id);
      if (known) known.sessions++;
      else state.members.set(member.id, { info: member.info, sessions: 1 });
      let members: PresenceEntry[];
      let first = false;
      try {
        if (known) members = await cluster.membersAfterWrites(app.id, channel);
        else ({ members, first } = await cluster.joinMember(app.id, channel, member.id, member.info));
      } catch (err) {
        svc.ctx.log.warn({ err }, 'pusher: the members of a presence channel could not be read');
        svc.leave(app, session, channel, true);
        svc.sendTo(session, subscriptionError(channel, 'PresenceError', 'The member list is unavailable', 503));
        return null;
      }
      if (first && members.length > app.config.maxPresenceMembers) {
        svc.leave(app, session, channel, true);
        const why = `The presence channel has its maximum of ${app.config.maxPresenceMembers} members`;
        svc.sendTo(session, subscriptionError(channel, 'PresenceError', why, 400));
        return null;
      }
      // Members the fresh list lacks are gone (or their announcement is on its way): the older
      // subscribers hear it now, before the new one joins the topic.
      const listed = new Set(members.map((m) => m.clientId));
      for (const id of [...state.view.members.keys()]) {
        if (listed.has(id)) continue;
        state.view.remove(id);
        svc.publish(app, channel, frame(MEMBER_REMOVED, { user_id: id }, channel));
      }
      for (const m of members) state.view.add(m.clientId, m.data);
      state.view.sessions.set(session, state.view.changes);
      data = presenceData(new Map(members.map((m) => [m.clientId, m.data])));
      if (first) this.announce(app, channel, MEMBER_ADDED, member.id, member.info, session.socketId);
    }
    // The answer waits for the shared count: once subscribed, every node's HTTP API counts the socket.
    await counted;
    if (session.state === 'closed' || !session.channels.has(channel)) return null;
    session.ws?.subscribe(svc.topic(app, channel));
    return data;
  }

  /** The user's last connection to the channel on this node is gone; `quiet` (a refused join) announces nothing. */
  async left(app: AppState, channel: string, userId: string, socketId: string, quiet: boolean): Promise<void> {
    try {
      const gone = await this.cluster.leaveMember(app.id, channel, userId);
      if (gone && !quiet) this.announce(app, channel, MEMBER_REMOVED, userId, null, socketId);
    } catch (err) {
      this.svc.ctx.log.warn({ err }, 'pusher: a presence member could not be removed from the cluster');
    }
  }

  /**
   * A stored message reached this node: when it is a member event of an app (channel
   * `pusher.{appId}`), this node's view of the channel follows it and the channel's
   * subscribers here that have not heard of the change get Pusher's frame. Resolves
   * whether the message was one.
   */
  deliver(message: Message): boolean {
    if (message.type !== MEMBER_ADDED && message.type !== MEMBER_REMOVED) return false;
    const app = this.svc.apps.get((message.channel ?? '').slice(CHANNEL_PREFIX.length));
    if (!app || message.channel !== membersChannel(app.id)) return false;
    const { channel, user_id: id, user_info: info } = (message.payload ?? {}) as Record<string, unknown>;
    if (typeof channel !== 'string' || typeof id !== 'string') return true;
    const state = app.channels.get(channel);
    const view = state?.view;
    if (!state || !view) return true;
    const sender = message.from === null ? undefined : this.svc.bySocket.get(message.from);
    const except = sender && state.sessions.has(sender) ? sender : undefined;
    const added = message.type === MEMBER_ADDED;
    const text = frame(message.type, added ? { user_id: id, user_info: info ?? null } : { user_id: id }, channel);
    if (!added) {
      view.remove(id);
      this.svc.publish(app, channel, text, except);
      return true;
    }
    const since = view.add(id, info ?? null);
    // Subscribers whose member list was read after the user came into the view know it already.
    // (Connections still joining are in neither the topic nor `view.sessions`: their list decides.)
    if (![...view.sessions.values()].some((from) => from >= since)) this.svc.publish(app, channel, text, except);
    else
      for (const [session, from] of view.sessions)
        if (from < since && session !== except) this.svc.sendTo(session, text);
    return true;
  }

  /**
   * Compares each presence channel this node has subscribers in with the shared presence.
   * Members gone without a `member_removed` (their node was killed and its entries stopped
   * counting) are removed for this node's subscribers; members present for
   * `MEMBER_ADD_GRACE_MS` that they never heard of (a node's entries written back after
   * a sweep, or an announcement lost) are added. Only channels whose member count differs
   * from the view are listed; a user whose view entry changed during the check is left
   * for the next one.
   */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const app of this.svc.apps.values()) {
        const local = [...app.channels]
          .filter(([, state]) => state.view !== null)
          .map(([channel, state]) => ({ channel, state, since: state.view?.changes ?? 0 }));
        if (!local.length) continue;
        const counts = await this.cluster.users(app.id, 'presence-');
        for (const { channel, state, since } of local) {
          if ((counts.get(channel) ?? 0) !== state.view?.members.size) {
            const members = await this.cluster.members(app.id, channel);
            if (app.channels.get(channel) === state) this.reconcile(app, channel, state, members, since);
          }
          // Changes up to `since` are older than any later check's list.
          for (const [id, change] of state.view?.touched ?? []) if (change <= since) state.view?.touched.delete(id);
        }
      }
    } catch (err) {
      this.svc.ctx.log.warn({ err }, 'pusher: presence members could not be checked against the cluster');
    } finally {
      this.checking = false;
    }
  }

  /**
   * The shared presence made a member absent (this node's sweep deleted a killed node's
   * entries) or present again (this node's entries written back after it was swept):
   * announced like a leave or a join, once per cluster.
   */
  changed(appId: string, channel: string, userId: string, present: boolean): void {
    const app = this.svc.apps.get(appId);
    if (!app) return;
    const info = app.channels.get(channel)?.members?.get(userId)?.info ?? null;
    this.announce(app, channel, present ? MEMBER_ADDED : MEMBER_REMOVED, userId, info, null);
  }

  /** Resolves once the member writes and announcements queued so far are done (at most STOP_SETTLE_MS). */
  settle(): Promise<void> {
    return within(this.svc.ctx.clock, this.cluster.settle(), STOP_SETTLE_MS);
  }

  private reconcile(app: AppState, channel: string, state: ChannelState, members: PresenceEntry[], since: number) {
    const view = state.view as MemberView;
    const recent = (id: string) => (view.touched.get(id) ?? 0) > since;
    const present = new Set(members.map((m) => m.clientId));
    for (const id of [...view.members.keys()]) {
      if (present.has(id) || recent(id)) continue;
      view.remove(id);
      this.svc.publish(app, channel, frame(MEMBER_REMOVED, { user_id: id }, channel));
    }
    const addedBefore = this.svc.ctx.clock.now() - MEMBER_ADD_GRACE_MS;
    for (const m of members) {
      if (view.members.has(m.clientId) || recent(m.clientId) || m.joinedAt > addedBefore) continue;
      view.add(m.clientId, m.data);
      this.svc.publish(app, channel, frame(MEMBER_ADDED, { user_id: m.clientId, user_info: m.data }, channel));
    }
  }

  /** Announces a member change decided on this node: its webhook here, a stored message for every node. */
  private announce(
    app: AppState,
    channel: string,
    type: typeof MEMBER_ADDED | typeof MEMBER_REMOVED,
    userId: string,
    info: unknown,
    socketId: string | null,
  ): void {
    const added = type === MEMBER_ADDED;
    this.svc.webhooks.memberEvent(app, added ? 'member_added' : 'member_removed', channel, userId);
    const stored = this.svc.ctx.messages
      .send({
        channel: membersChannel(app.id),
        type,
        payload: added ? { channel, user_id: userId, user_info: info } : { channel, user_id: userId },
        ...(socketId === null ? {} : { from: socketId }),
        ttl: MEMBER_EVENT_TTL_SECONDS,
      })
      .catch((err: unknown) => this.svc.ctx.log.warn({ err, type }, 'pusher: a member event could not be stored'));
    this.cluster.track(stored);
  }
}

/**
 * The Relaykit channel carrying an app's member events between nodes: `pusher.{appId}`,
 * which maps to none of the app's Pusher channels (those are `pusher.{appId}.{channel}`).
 */
function membersChannel(appId: string): string {
  return `${CHANNEL_PREFIX}${appId}`;
}

/** `subscription_succeeded` data of a presence channel from its members (user id -> user_info). */
export function presenceData(members: ReadonlyMap<string, unknown>): object {
  return {
    presence: { ids: [...members.keys()], hash: Object.fromEntries(members), count: members.size },
  };
}
