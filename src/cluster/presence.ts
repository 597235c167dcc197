import { type Clock, systemClock } from '../kernel/clock.ts';

/**
 * Who is present in a channel, across every node of the cluster.
 *
 * Each node writes its own clients' entries and keeps itself alive with
 * heartbeats. Readers only count entries of live nodes (heartbeat not yet
 * expired), so a killed node stops counting within `nodeTtlMs` even before
 * anyone sweeps; `sweep` then deletes dead nodes' entries for good. A node that
 * was swept while still alive (cut off from the store for longer than its ttl)
 * writes its entries back at its next heartbeat.
 *
 * Times come from each node's clock: nodes whose clocks disagree by more than
 * a fraction of `nodeTtlMs` should not share a presence store.
 *
 * Occupancy: a channel is occupied while the store holds at least one entry for
 * it (of a live node, or of a dead one not swept yet). The store decides every
 * change between empty and occupied atomically, with the write that makes it, so
 * each change is reported exactly once in the whole cluster, to the node whose
 * write made it: by `join` and `leave` to their caller, and through `onChange`
 * for write-backs, sweeps and close.
 */

/** One client present in a channel. */
export interface PresenceEntry {
  clientId: string;
  /** What the client shared when joining (JSON), or null. */
  data: unknown;
  /** The node the client is connected to. */
  nodeId: string;
  /** Epoch ms of the join. */
  joinedAt: number;
}

/** A channel that became occupied (its first entry in the store) or vacated (its last entry gone). */
export interface PresenceChange {
  channel: string;
  occupied: boolean;
}

/** One client joining one channel, as `joinMany` takes it. */
export interface PresenceJoin {
  channel: string;
  clientId: string;
}

/** Where one entry is: channel, node and client. */
export interface PresenceKey {
  channel: string;
  nodeId: string;
  clientId: string;
}

export type PresenceListener = (change: PresenceChange) => void;

/** Channels under a prefix with their clients on live nodes (`Presence.channels`). */
export interface PresenceChannel {
  channel: string;
  /** Distinct clients on live nodes. */
  clients: number;
  /** Entries (distinct clients) per live node id. */
  nodes: Record<string, number>;
}

export interface Presence {
  readonly nodeId: string;
  /**
   * Adds or updates `clientId` in `channel` for this node. Resolves true when this
   * write occupied the channel: the store held no entry for it, on any node.
   */
  join(channel: string, clientId: string, data?: unknown): Promise<boolean>;
  /**
   * `join` for several (channel, client) pairs at once, in one round trip where the
   * store allows (PostgreSQL). Resolves with the channels these writes occupied, each
   * once, in the order of `joins`. A pair given twice is written once.
   */
  joinMany(joins: readonly PresenceJoin[]): Promise<string[]>;
  /**
   * Removes `clientId` from `channel` for this node (a client connected to several
   * nodes stays present through the others). Resolves true when this write vacated
   * the channel: it removed the last entry of any node.
   */
  leave(channel: string, clientId: string): Promise<boolean>;
  /** The clients present on live nodes, one entry per client id (the earliest join), sorted by client id. */
  list(channel: string): Promise<PresenceEntry[]>;
  /** How many distinct clients are present on live nodes. */
  count(channel: string): Promise<number>;
  /** The channels whose name starts with `prefix` that have clients on live nodes, sorted by name. */
  channels(prefix: string): Promise<PresenceChannel[]>;
  /**
   * Calls `listener` for the occupancy changes this node made that no `join` or
   * `leave` call returned: its write-backs after being swept, its sweeps of dead
   * nodes (the channels a killed node leaves empty are reported by the one node
   * whose sweep deleted their last entries) and its close. Together with what
   * join and leave return, every change is seen exactly once in the cluster.
   * Returns the unsubscribe function.
   */
  onChange(listener: PresenceListener): () => void;
  /** Marks this node alive until now + nodeTtlMs; writes its entries back if it had been swept. Runs every heartbeatMs. */
  heartbeat(): Promise<void>;
  /** Deletes the entries of nodes whose heartbeat expired; resolves with how many were deleted. Runs after each heartbeat. */
  sweep(): Promise<number>;
  /** Stops heartbeats and deletes this node's entries and heartbeat. Idempotent. */
  close(): Promise<void>;
}

export interface PresenceOptions {
  /** This node (`cluster.nodeId`). */
  nodeId: string;
  /** How long a node counts without a heartbeat. Default 15000 ms. */
  nodeTtlMs?: number;
  /** How often this node heartbeats and sweeps. Default 5000 ms; 0 turns the timer off (call heartbeat yourself). */
  heartbeatMs?: number;
  clock?: Clock;
  onError?(error: unknown): void;
}

/**
 * What an implementation stores; the shared logic (local copy for restore,
 * first heartbeat before the first join, timers) lives in PresenceBase.
 */
export abstract class PresenceBase implements Presence {
  readonly nodeId: string;
  protected readonly clock: Clock;
  protected readonly nodeTtlMs: number;
  /** This node's entries, to write back after being swept. */
  private readonly local = new Map<string, Map<string, PresenceEntry>>();
  /** Whether a heartbeat of this node has been stored (a later "unknown" then means it was swept). */
  private registered = false;
  private readonly stopTimer: () => void;
  private readonly onError: (error: unknown) => void;
  private closed = false;
  /** The heartbeat write on its way, if any: close waits for it, or it would revive the node row it deletes. */
  private beating: Promise<boolean> | null = null;
  private readonly listeners = new Set<PresenceListener>();

  constructor(options: PresenceOptions) {
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? systemClock;
    this.nodeTtlMs = options.nodeTtlMs ?? 15_000;
    this.onError = options.onError ?? ((e) => console.error('[relaykit] cluster presence:', e));
    const every = options.heartbeatMs ?? 5000;
    this.stopTimer = every > 0 ? this.clock.setInterval(() => void this.tick(), every) : () => {};
  }

  async join(channel: string, clientId: string, data: unknown = null): Promise<boolean> {
    const entry = this.remember(channel, clientId, data);
    // The node must be alive before its first entry, or readers would not count it.
    if (!this.registered) await this.heartbeat();
    return this.put(channel, entry);
  }

  async joinMany(joins: readonly PresenceJoin[]): Promise<string[]> {
    const byKey = new Map<string, { channel: string; entry: PresenceEntry }>();
    for (const { channel, clientId } of joins) {
      byKey.set(`${channel}\n${clientId}`, { channel, entry: this.remember(channel, clientId, null) });
    }
    if (!byKey.size) return [];
    if (!this.registered) await this.heartbeat();
    return this.putMany([...byKey.values()]);
  }

  /** Keeps this node's copy of an entry (written back after a sweep); a rejoin keeps its join time. */
  private remember(channel: string, clientId: string, data: unknown): PresenceEntry {
    const entry: PresenceEntry = { clientId, data, nodeId: this.nodeId, joinedAt: this.clock.now() };
    const clients = this.local.get(channel) ?? new Map<string, PresenceEntry>();
    entry.joinedAt = clients.get(clientId)?.joinedAt ?? entry.joinedAt;
    clients.set(clientId, entry);
    this.local.set(channel, clients);
    return entry;
  }

  /**
   * Writes several entries (distinct channel and client pairs); resolves with the channels
   * they occupied, each once. This default writes them one by one; a store that can write
   * them in one statement overrides it.
   */
  protected async putMany(entries: readonly { channel: string; entry: PresenceEntry }[]): Promise<string[]> {
    const occupied: string[] = [];
    for (const { channel, entry } of entries) if (await this.put(channel, entry)) occupied.push(channel);
    return occupied;
  }

  async leave(channel: string, clientId: string): Promise<boolean> {
    const clients = this.local.get(channel);
    clients?.delete(clientId);
    if (clients?.size === 0) this.local.delete(channel);
    return this.remove(channel, clientId);
  }

  onChange(listener: PresenceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async channels(prefix: string): Promise<PresenceChannel[]> {
    const byChannel = new Map<string, Map<string, Set<string>>>();
    for (const entry of await this.readPrefix(prefix, this.clock.now())) {
      const nodes = byChannel.get(entry.channel) ?? new Map<string, Set<string>>();
      byChannel.set(entry.channel, nodes);
      const clients = nodes.get(entry.nodeId) ?? new Set<string>();
      nodes.set(entry.nodeId, clients);
      clients.add(entry.clientId);
    }
    return [...byChannel]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([channel, nodes]) => {
        const all = new Set<string>();
        for (const clients of nodes.values()) for (const c of clients) all.add(c);
        return {
          channel,
          clients: all.size,
          nodes: Object.fromEntries([...nodes].sort().map(([node, clients]) => [node, clients.size])),
        };
      });
  }

  /** Tells the listeners; a throwing listener is reported and does not stop the others. */
  protected emit(changes: PresenceChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          this.onError(err);
        }
      }
    }
  }

  async list(channel: string): Promise<PresenceEntry[]> {
    const byClient = new Map<string, PresenceEntry>();
    for (const entry of await this.read(channel, this.clock.now())) {
      const seen = byClient.get(entry.clientId);
      if (!seen || entry.joinedAt < seen.joinedAt) byClient.set(entry.clientId, entry);
    }
    return [...byClient.values()].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  }

  async count(channel: string): Promise<number> {
    return (await this.list(channel)).length;
  }

  async heartbeat(): Promise<void> {
    if (this.closed) return;
    const beat = this.beat(this.clock.now() + this.nodeTtlMs);
    this.beating = beat;
    let known: boolean;
    try {
      known = await beat;
    } finally {
      if (this.beating === beat) this.beating = null;
    }
    const swept = this.registered && !known;
    this.registered = true;
    if (!swept) return;
    // Swept while alive: write every entry back (the sweep reported the channels it vacated).
    for (const [channel, clients] of this.local) {
      for (const entry of clients.values())
        if (await this.put(channel, entry)) this.emit([{ channel, occupied: true }]);
    }
  }

  async sweep(): Promise<number> {
    const { deleted, vacated } = await this.purge(this.clock.now());
    this.emit(vacated.map((channel) => ({ channel, occupied: false })));
    return deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.local.clear();
    // A heartbeat already sent would land after the delete and leave this node alive
    // to its peers until its expiry: let it land first (its failure is not close's).
    await this.beating?.catch(() => {});
    const vacated = await this.drop();
    this.emit(vacated.map((channel) => ({ channel, occupied: false })));
    this.listeners.clear();
  }

  private async tick(): Promise<void> {
    try {
      await this.heartbeat();
      await this.sweep();
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Writes (or overwrites) one entry of this node; resolves true when the channel
   * had no entry at all before (decided atomically with the write).
   */
  protected abstract put(channel: string, entry: PresenceEntry): Promise<boolean>;
  /** Deletes one entry of this node; resolves true when it was the channel's last (atomically). */
  protected abstract remove(channel: string, clientId: string): Promise<boolean>;
  /** Every entry of `channel` whose node's heartbeat expires after `now` (several per client id allowed). */
  protected abstract read(channel: string, now: number): Promise<PresenceEntry[]>;
  /** Every entry of live nodes in the channels starting with `prefix` (without their data). */
  protected abstract readPrefix(prefix: string, now: number): Promise<PresenceKey[]>;
  /** Sets this node's heartbeat expiry; resolves with whether the node was already registered. */
  protected abstract beat(expiresAt: number): Promise<boolean>;
  /**
   * Deletes the heartbeats and entries of nodes expired at `now`; resolves with the
   * number of entries deleted and the channels left without any entry.
   */
  protected abstract purge(now: number): Promise<{ deleted: number; vacated: string[] }>;
  /** Deletes this node's entries and heartbeat; resolves with the channels left without any entry. */
  protected abstract drop(): Promise<string[]>;
}
