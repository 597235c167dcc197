import { PresenceBase, type PresenceEntry, type PresenceKey, type PresenceOptions } from './presence.ts';

/** The state several in-process nodes share (one per simulated cluster). */
export class MemoryPresenceStore {
  readonly nodes = new Map<string, number>();
  /** channel -> `${nodeId}\n${clientId}` -> entry */
  readonly channels = new Map<string, Map<string, PresenceEntry>>();
}

/** Presence in one process: the single-node default, and simulated clusters in tests. */
export class MemoryPresence extends PresenceBase {
  constructor(
    options: PresenceOptions,
    private readonly store = new MemoryPresenceStore(),
  ) {
    super(options);
  }

  protected async put(channel: string, entry: PresenceEntry): Promise<boolean> {
    const entries = this.store.channels.get(channel) ?? new Map<string, PresenceEntry>();
    const occupied = entries.size === 0;
    entries.set(`${this.nodeId}\n${entry.clientId}`, structuredClone(entry));
    this.store.channels.set(channel, entries);
    return occupied;
  }

  protected async remove(channel: string, clientId: string): Promise<boolean> {
    const entries = this.store.channels.get(channel);
    if (!entries?.delete(`${this.nodeId}\n${clientId}`)) return false;
    if (entries.size > 0) return false;
    this.store.channels.delete(channel);
    return true;
  }

  protected async read(channel: string, now: number): Promise<PresenceEntry[]> {
    const entries = [...(this.store.channels.get(channel)?.values() ?? [])];
    return entries.filter((e) => (this.store.nodes.get(e.nodeId) ?? 0) > now).map((e) => structuredClone(e));
  }

  protected async readPrefix(prefix: string, now: number): Promise<PresenceKey[]> {
    const found: PresenceKey[] = [];
    for (const [channel, entries] of this.store.channels) {
      if (!channel.startsWith(prefix)) continue;
      for (const { nodeId, clientId } of entries.values()) {
        if ((this.store.nodes.get(nodeId) ?? 0) > now) found.push({ channel, nodeId, clientId });
      }
    }
    return found;
  }

  protected async beat(expiresAt: number): Promise<boolean> {
    const known = this.store.nodes.has(this.nodeId);
    this.store.nodes.set(this.nodeId, expiresAt);
    return known;
  }

  protected async purge(now: number): Promise<{ deleted: number; vacated: string[] }> {
    const dead = new Set([...this.store.nodes].filter(([, until]) => until <= now).map(([node]) => node));
    return this.deleteNodes(dead);
  }

  protected async drop(): Promise<string[]> {
    return this.deleteNodes(new Set([this.nodeId])).vacated;
  }

  private deleteNodes(nodes: Set<string>): { deleted: number; vacated: string[] } {
    let deleted = 0;
    const vacated: string[] = [];
    for (const node of nodes) this.store.nodes.delete(node);
    for (const [channel, entries] of this.store.channels) {
      const before = deleted;
      for (const [key, entry] of entries) {
        if (nodes.has(entry.nodeId)) {
          entries.delete(key);
          deleted++;
        }
      }
      if (entries.size === 0) {
        this.store.channels.delete(channel);
        if (deleted > before) vacated.push(channel);
      }
    }
    return { deleted, vacated };
  }
}
