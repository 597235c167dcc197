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

export interface Presence {
  readonly nodeId: string;
  /** Adds or updates `clientId` in `channel` for this node. */
  join(channel: string, clientId: string, data?: unknown): Promise<void>;
  /** Removes `clientId` from `channel` for this node (a client connected to several nodes stays present through the others). */
  leave(channel: string, clientId: string): Promise<void>;
  /** The clients present on live nodes, one entry per client id (the earliest join), sorted by client id. */
  list(channel: string): Promise<PresenceEntry[]>;
  /** How many distinct clients are present on live nodes. */
  count(channel: string): Promise<number>;
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

  constructor(options: PresenceOptions) {
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? systemClock;
    this.nodeTtlMs = options.nodeTtlMs ?? 15_000;
    this.onError = options.onError ?? ((e) => console.error('[relaykit] cluster presence:', e));
    const every = options.heartbeatMs ?? 5000;
    this.stopTimer = every > 0 ? this.clock.setInterval(() => void this.tick(), every) : () => {};
  }

  async join(channel: string, clientId: string, data: unknown = null): Promise<void> {
    const entry: PresenceEntry = { clientId, data, nodeId: this.nodeId, joinedAt: this.clock.now() };
    const clients = this.local.get(channel) ?? new Map<string, PresenceEntry>();
    entry.joinedAt = clients.get(clientId)?.joinedAt ?? entry.joinedAt;
    clients.set(clientId, entry);
    this.local.set(channel, clients);
    // The node must be alive before its first entry, or readers would not count it.
    if (!this.registered) await this.heartbeat();
    await this.put(channel, entry);
  }

  async leave(channel: string, clientId: string): Promise<void> {
    const clients = this.local.get(channel);
    clients?.delete(clientId);
    if (clients?.size === 0) this.local.delete(channel);
    await this.remove(channel, clientId);
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
    const known = await this.beat(this.clock.now() + this.nodeTtlMs);
    const swept = this.registered && !known;
    this.registered = true;
    if (!swept) return;
    // Swept while alive: write every entry back.
    for (const [channel, clients] of this.local) for (const entry of clients.values()) await this.put(channel, entry);
  }

  sweep(): Promise<number> {
    return this.purge(this.clock.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.local.clear();
    await this.drop();
  }

  private async tick(): Promise<void> {
    try {
      await this.heartbeat();
      await this.sweep();
    } catch (err) {
      this.onError(err);
    }
  }

  /** Writes (or overwrites) one entry of this node. */
  protected abstract put(channel: string, entry: PresenceEntry): Promise<void>;
  protected abstract remove(channel: string, clientId: string): Promise<void>;
  /** Every entry of `channel` whose node's heartbeat expires after `now` (several per client id allowed). */
  protected abstract read(channel: string, now: number): Promise<PresenceEntry[]>;
  /** Sets this node's heartbeat expiry; resolves with whether the node was already registered. */
  protected abstract beat(expiresAt: number): Promise<boolean>;
  /** Deletes the heartbeats and entries of nodes expired at `now`; resolves with the number of entries deleted. */
  protected abstract purge(now: number): Promise<number>;
  /** Deletes this node's entries and heartbeat. */
  protected abstract drop(): Promise<void>;
}
