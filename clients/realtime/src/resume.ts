import type { RealtimeError } from './handlers.ts';
import type { RealtimeEvent } from './protocol.ts';

/** Where a client is in the hub's event log; persist it to resume after a page reload. */
export interface Cursors {
  /** The last event-log id received per channel. */
  channels: Record<string, number>;
  /** The last id of a message addressed to this client. */
  direct: number | null;
}

const SYSTEM_PREFIX = '$hub:';

interface ChannelState {
  /** The last id received on the channel (or the point its subscription started). */
  cursor: number | null;
  /** Confirmed by the hub on the current connection: its events arrive live, in id order. */
  live: boolean;
}

/**
 * The WebSocket client's resume bookkeeping: a cursor per channel and one for direct
 * messages, the `subscribe … since` frame that resumes them all after a reconnect,
 * and the duplicate filter for the overlap that frame replays.
 *
 * One frame resumes every channel (and the direct messages) from the smallest cursor,
 * so the hub replays one stream in id order; events the client already had under a
 * larger cursor are dropped here.
 *
 * `head` keeps the cursors close to the log: every message with an id up to it, on a
 * live channel or addressed to the client, has reached the client (the hub delivers
 * live events in id order and replays the rest before confirming). So when a
 * connection ends, live channels' cursors move up to `head`, and a channel that was
 * quiet does not drag the next resume back to its last event.
 */
export class ResumeState {
  private readonly channels = new Map<string, ChannelState>();
  private direct: number | null;
  private directLive = false;
  private head: number | null = null;

  constructor(initial: Partial<Cursors> = {}) {
    this.direct = initial.direct ?? null;
    for (const [channel, cursor] of Object.entries(initial.channels ?? {})) {
      this.channels.set(channel, { cursor, live: false });
    }
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  list(): string[] {
    return [...this.channels.keys()];
  }

  /** Whether the hub confirmed the channel on the current connection. */
  isLive(channel: string): boolean {
    return this.channels.get(channel)?.live ?? false;
  }

  /** The `since` to subscribe the channel with (null: a system channel, or no connection yet). */
  cursorOf(channel: string): number | null {
    return this.channels.get(channel)?.cursor ?? null;
  }

  /**
   * Adds a channel; returns the `since` to subscribe it with on the current connection
   * (null while no connection ever opened: the next resume covers it).
   */
  add(channel: string, since?: number): number | null {
    const existing = this.channels.get(channel);
    if (existing) return existing.cursor;
    const cursor = isSystem(channel) ? null : (since ?? this.head);
    this.channels.set(channel, { cursor, live: false });
    return cursor;
  }

  remove(channel: string): void {
    this.channels.delete(channel);
  }

  /** `subscribe` frames for channels to add on a live connection: one per distinct cursor. */
  framesFor(channels: readonly string[]): Array<{ type: 'subscribe'; channels: string[]; since?: number }> {
    const bySince = new Map<number | undefined, string[]>();
    for (const channel of channels) {
      const since = this.cursorOf(channel) ?? undefined;
      bySince.set(since, [...(bySince.get(since) ?? []), channel]);
    }
    return [...bySince].map(([since, list]) => ({
      type: 'subscribe' as const,
      channels: list,
      ...(since === undefined ? {} : { since }),
    }));
  }

  /** A connection opened; `lastId` is the newest id of the log at that moment. */
  opened(lastId: number): void {
    this.head = lastId;
    if (this.direct === null) this.direct = lastId;
    for (const [channel, state] of this.channels) {
      if (state.cursor === null && !isSystem(channel)) state.cursor = lastId;
    }
  }

  /** The frame that resumes everything after (re)connecting. */
  resumeFrame(): { channels: string[]; since: number } {
    let since = this.direct ?? this.head ?? 0;
    for (const state of this.channels.values()) if (state.cursor !== null) since = Math.min(since, state.cursor);
    return { channels: this.list(), since };
  }

  /** The hub confirmed `channels` on this connection; `resumed` for the frame that also resumed direct messages. */
  confirmed(channels: readonly string[], resumed: boolean): void {
    for (const channel of channels) {
      const state = this.channels.get(channel);
      if (state) state.live = true;
    }
    if (resumed) this.directLive = true;
  }

  /**
   * Whether `event` is new to the client (false: a duplicate from a resume overlap, or
   * an event of a channel it left); moves the cursors when it is.
   */
  accept(event: RealtimeEvent, self: string | null): boolean {
    const channel = event.channel === null ? undefined : this.channels.get(event.channel);
    const direct = event.to !== null && event.to === self;
    if (event.channel !== null && !channel && !direct) return false;
    const id = event.id;
    if (id === null) return true;
    if (channel?.cursor != null && channel.cursor >= id) return false;
    if (direct && this.direct !== null && this.direct >= id) return false;
    if (channel) channel.cursor = id;
    if (direct) this.direct = id;
    const live = (channel?.live ?? !direct) || (direct && this.directLive);
    if (live && (this.head === null || id > this.head)) this.head = id;
    return true;
  }

  /** Everything up to `id` has been delivered (the end of a resume). */
  reached(id: number): void {
    if (this.head === null || id > this.head) this.head = id;
  }

  /** The connection is gone: live channels move up to `head`, nothing is live any more. */
  closed(): void {
    const head = this.head;
    for (const state of this.channels.values()) {
      if (state.live && head !== null && state.cursor !== null && head > state.cursor) state.cursor = head;
      state.live = false;
    }
    if (this.directLive && head !== null && this.direct !== null && head > this.direct) this.direct = head;
    this.directLive = false;
  }

  /** The cursors to persist (live channels already at `head`). */
  snapshot(): Cursors {
    const channels: Record<string, number> = {};
    for (const [channel, state] of this.channels) {
      if (state.cursor !== null) channels[channel] = state.live ? atLeast(state.cursor, this.head) : state.cursor;
    }
    const direct = this.direct === null ? null : this.directLive ? atLeast(this.direct, this.head) : this.direct;
    return { channels, direct };
  }
}

function atLeast(cursor: number, head: number | null): number {
  return head !== null && head > cursor ? head : cursor;
}

function isSystem(channel: string): boolean {
  return channel.startsWith(SYSTEM_PREFIX);
}

/** The channels a `subscribe` refusal names in its details. */
export function namedChannels(error: RealtimeError): string[] {
  if (!Array.isArray(error.details)) return [];
  return error.details.flatMap((d) => (typeof d?.channel === 'string' ? [d.channel as string] : []));
}
