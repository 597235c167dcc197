import { ChannelOccupancy } from '../../src/cluster/occupancy.ts';
import type { Presence, PresenceEntry } from '../../src/cluster/presence.ts';
import type { Clock } from '../../src/kernel/clock.ts';

/** What one channel counts across the cluster (live nodes only). */
export interface ChannelCounts {
  /** Subscribed connections. */
  subscriptions: number;
  /** Distinct presence members (presence channels). */
  users: number;
}

/** Member changes the shared presence reports outside join and leave (sweeps, write-backs). */
export type MemberListener = (appId: string, channel: string, userId: string, present: boolean) => void;

/**
 * The pusher plugin's channels in the cluster's shared presence (`ctx.cluster.presence`),
 * under three key spaces per app:
 *
 * - `<plugin>:s:<appId>:<channel>`: one entry per subscribed connection (client id = socket
 *   id). It decides occupancy once per cluster (through `ChannelOccupancy`) and gives
 *   `subscription_count`.
 * - `<plugin>:m:<appId>:<channel>`: one entry per presence member and node that has it
 *   (client id = user id, data = `user_info`). It gives the member list of
 *   `subscription_succeeded`, `user_count` and `/users`.
 * - `<plugin>:u:<appId>:<channel>:<userId>`: one entry per node that has the member
 *   (client id = node id). Its occupancy is the member's: the store decides atomically
 *   which write made the user present in the channel (the first connection on any node)
 *   or absent (the last one gone from every node, or the sweep of a killed node), so
 *   `member_added` and `member_removed` are announced once per cluster.
 *
 * App ids and presence channel names never hold `:`, so one app's keys never prefix
 * another's and a user key splits back into app, channel and user. Member writes of one
 * channel run in call order on this node (a leave never overtakes its join); a join
 * resolves with the member list read after its write.
 */
export class PusherCluster {
  private readonly occupancy: ChannelOccupancy;
  private readonly writes = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly presence: Presence,
    private readonly name: string,
    /** A channel of an app became occupied or vacated, once per cluster. */
    changed: (appId: string, channel: string, occupied: boolean) => void,
    /** A member became absent (a killed node swept) or present (entries written back) outside join and leave. */
    memberChanged: MemberListener,
    onError: (err: unknown) => void,
    clock: Clock,
  ) {
    const users = `${name}:u:`;
    this.unsubscribe = presence.onChange(({ channel: key, occupied }) => {
      if (!key.startsWith(users)) return;
      const [appId = '', channel = '', ...rest] = key.slice(users.length).split(':');
      memberChanged(appId, channel, rest.join(':'), occupied);
    });
    this.occupancy = new ChannelOccupancy(
      presence,
      `${name}:s:`,
      (key, occupied) => {
        const colon = key.indexOf(':');
        changed(key.slice(0, colon), key.slice(colon + 1), occupied);
      },
      onError,
      clock,
    );
  }

  /** A connection of this node subscribed to `channel`; resolves once the cluster counts it (never rejects). */
  subscribed(appId: string, channel: string, socketId: string): Promise<void> {
    return this.occupancy.join(`${appId}:${channel}`, socketId);
  }

  /** A connection of this node left `channel` (unsubscribed or closed). */
  unsubscribed(appId: string, channel: string, socketId: string): void {
    this.occupancy.leave(`${appId}:${channel}`, socketId);
  }

  /**
   * Writes `userId` as a member of `channel` on this node (its first connection here),
   * then reads the cluster's members. `first` is true when this write made the user
   * present in the cluster (decided atomically, once per cluster): the caller announces
   * `member_added`.
   */
  joinMember(
    appId: string,
    channel: string,
    userId: string,
    info: unknown,
  ): Promise<{ members: PresenceEntry[]; first: boolean }> {
    const key = this.membersKey(appId, channel);
    return this.queue(key, async () => {
      await this.presence.join(key, userId, info);
      const first = await this.presence.join(this.userKey(appId, channel, userId), this.presence.nodeId);
      return { members: await this.presence.list(key), first };
    });
  }

  /**
   * Removes `userId` from `channel` on this node (its last connection here gone).
   * Resolves true when this write made the user absent from the cluster (once per
   * cluster): the caller announces `member_removed`.
   */
  leaveMember(appId: string, channel: string, userId: string): Promise<boolean> {
    const key = this.membersKey(appId, channel);
    return this.queue(key, async () => {
      await this.presence.leave(key, userId);
      return this.presence.leave(this.userKey(appId, channel, userId), this.presence.nodeId);
    });
  }

  /** The members of `channel` on live nodes, one entry per user id. */
  members(appId: string, channel: string): Promise<PresenceEntry[]> {
    return this.presence.list(this.membersKey(appId, channel));
  }

  /** The members of `channel`, read after this node's member writes queued so far. */
  membersAfterWrites(appId: string, channel: string): Promise<PresenceEntry[]> {
    const key = this.membersKey(appId, channel);
    return this.queue(key, () => this.presence.list(key));
  }

  /** Keeps `work` (a member event being stored) among what `settle` waits for. */
  track(work: Promise<unknown>): void {
    const done = work.catch(() => {});
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /**
   * Resolves once the member writes queued so far (and the member events tracked) are
   * done. On stop: a node's entries are keyed by user id, so the next instance's joins
   * must not be overtaken by this one's leaves.
   */
  async settle(): Promise<void> {
    await Promise.all([...this.writes.values(), ...this.pending]);
  }

  /** Subscriptions and members of one channel, on live nodes. */
  async count(appId: string, channel: string): Promise<ChannelCounts> {
    const [subscriptions, users] = await Promise.all([
      this.presence.count(`${this.name}:s:${appId}:${channel}`),
      this.presence.count(this.membersKey(appId, channel)),
    ]);
    return { subscriptions, users };
  }

  /** Members per channel of the app's channels starting with `prefix`, on live nodes (one read). */
  async users(appId: string, prefix: string): Promise<Map<string, number>> {
    const members = this.membersKey(appId, '');
    const found = await this.presence.channels(members + prefix);
    return new Map(found.map((c) => [c.channel.slice(members.length), c.clients]));
  }

  /** Subscriptions and members of the app's channels whose name starts with `prefix`, on live nodes. */
  async counts(appId: string, prefix: string): Promise<Map<string, ChannelCounts>> {
    const sockets = `${this.name}:s:${appId}:`;
    const members = this.membersKey(appId, '');
    const [subscribed, present] = await Promise.all([
      this.presence.channels(sockets + prefix),
      this.presence.channels(members + prefix),
    ]);
    const out = new Map<string, ChannelCounts>();
    for (const c of subscribed) out.set(c.channel.slice(sockets.length), { subscriptions: c.clients, users: 0 });
    for (const c of present) {
      const name = c.channel.slice(members.length);
      out.set(name, { subscriptions: out.get(name)?.subscriptions ?? 0, users: c.clients });
    }
    return out;
  }

  /** Stops hearing of sweeps and write-backs; writes already queued still run. */
  close(): void {
    this.occupancy.close();
    this.unsubscribe();
  }

  private userKey(appId: string, channel: string, userId: string): string {
    return `${this.name}:u:${appId}:${channel}:${userId}`;
  }

  private membersKey(appId: string, channel: string): string {
    return `${this.name}:m:${appId}:${channel}`;
  }

  /** Runs `write` after the writes queued for `key`; a failure is the caller's and does not stop the queue. */
  private queue<T>(key: string, write: () => Promise<T>): Promise<T> {
    const before = this.writes.get(key) ?? Promise.resolve();
    const run = before.then(write);
    const tail = run.catch(() => {});
    this.writes.set(key, tail);
    void tail.then(() => {
      if (this.writes.get(key) === tail) this.writes.delete(key);
    });
    return run;
  }
}
