import { type Clock, within } from '../kernel/clock.ts';
import type { Presence, PresenceChannel, PresenceJoin } from './presence.ts';

/**
 * How long a join's answer waits at most for its presence write: with the database
 * unreachable (its connect timeout is 10 s, and writes queue behind each other), a
 * subscribe is still answered; the write goes on and is reported if it fails.
 */
export const JOIN_CONFIRM_MS = 2000;

/** At most this many joins go into one `joinMany` write. */
const MAX_JOIN_BATCH = 500;

/**
 * One plugin's channels in the cluster's presence (`ctx.cluster.presence`), for
 * transports that publish `channel.occupied` / `channel.vacated`: it writes the
 * plugin's joins and leaves in call order (a leave never overtakes its join) under
 * `<prefix>` and calls `changed` once per cluster-wide change of a channel's
 * occupancy: for the joins and leaves it wrote, and, while open, for the changes
 * this node's presence made otherwise (a dead node's channels emptied by this
 * node's sweep, write-backs after this node was swept). Failed writes are reported
 * to `onError` and skipped. Consecutive joins that wait behind a write in flight are
 * written together (`Presence.joinMany`); a leave always comes after the joins called
 * before it and before those called after it.
 */
export class ChannelOccupancy {
  private writes: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;
  /** Joins queued since the last leave, not yet being written: they go in one `joinMany`. */
  private batch: PresenceJoin[] | null = null;
  /** When the write of `batch` has landed (or failed and been reported). */
  private batchWritten: Promise<void> = Promise.resolve();

  constructor(
    private readonly presence: Presence,
    private readonly prefix: string,
    private readonly changed: (channel: string, occupied: boolean) => void,
    private readonly onError: (err: unknown) => void,
    private readonly clock: Clock,
  ) {
    this.unsubscribe = presence.onChange(({ channel, occupied }) => {
      if (channel.startsWith(prefix)) changed(channel.slice(prefix.length), occupied);
    });
  }

  /**
   * `clientId` subscribed to `channel` on this node (its first subscription there).
   * Resolves once the write has landed (or failed and been reported; it never rejects),
   * so a transport can confirm the subscription when the cluster already counts it,
   * or after `JOIN_CONFIRM_MS` (on the hub's clock) when the write takes longer.
   */
  join(channel: string, clientId: string): Promise<void> {
    // Joins that queue up behind a write in flight (a burst of subscribes) are written
    // together: one round trip for the batch instead of one per join.
    if (!this.batch || this.batch.length >= MAX_JOIN_BATCH) {
      const batch: PresenceJoin[] = [];
      this.batch = batch;
      this.batchWritten = this.queue(async () => {
        if (this.batch === batch) this.batch = null;
        const joins = batch.map((j) => ({ channel: this.prefix + j.channel, clientId: j.clientId }));
        for (const key of await this.presence.joinMany(joins)) this.changed(key.slice(this.prefix.length), true);
      });
    }
    this.batch.push({ channel, clientId });
    return within(this.clock, this.batchWritten, JOIN_CONFIRM_MS);
  }

  /** `clientId` has no subscription to `channel` left on this node. */
  leave(channel: string, clientId: string): void {
    // A join called after this leave is written after it.
    this.batch = null;
    this.queue(async () => {
      if (await this.presence.leave(this.prefix + channel, clientId)) this.changed(channel, false);
    });
  }

  /** Stops hearing of other changes; writes already queued still run and report. */
  close(): void {
    this.unsubscribe();
  }

  private queue(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(write).catch(this.onError);
    return this.writes;
  }
}

/** A plugin's channels across the cluster, for its stats routes. */
export interface ClusterChannels {
  /** Channels with subscribers on some live node. */
  channels: number;
  /** Per live node with subscribers: its channels and its (channel, client) subscriptions. */
  nodes: Record<string, { channels: number; subscriptions: number }>;
}

/** Sums `presence.channels(prefix)` per node. */
export function summarize(channels: readonly PresenceChannel[]): ClusterChannels {
  const nodes: ClusterChannels['nodes'] = {};
  for (const channel of channels) {
    for (const [node, clients] of Object.entries(channel.nodes)) {
      const entry = nodes[node] ?? { channels: 0, subscriptions: 0 };
      entry.channels++;
      entry.subscriptions += clients;
      nodes[node] = entry;
    }
  }
  return { channels: channels.length, nodes };
}
