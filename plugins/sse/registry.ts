import { matchesPattern } from '../../src/kernel/bus.ts';
import type { Message } from '../../src/messages/types.ts';
import type { SseStream } from './stream.ts';

/**
 * The open streams of one plugin instance, indexed the way messages find them: by
 * channel, by recipient client id, the streams that take every message (`*`), and
 * the streams on system channels.
 */
export class StreamRegistry {
  readonly all = new Set<SseStream>();
  private readonly byChannel = new Map<string, Entry>();
  private readonly byClient = new Map<string, Entry>();
  private readonly everything = new Set<SseStream>();
  private readonly system = new Set<SseStream>();

  get size(): number {
    return this.all.size;
  }

  /** Adds a stream; returns the channels it is the first to occupy. */
  add(stream: SseStream): string[] {
    const { info } = stream;
    this.all.add(stream);
    addTo(this.byClient, info.clientId, stream);
    const occupied: string[] = [];
    for (const channel of info.channels) if (addTo(this.byChannel, channel, stream)) occupied.push(channel);
    if (info.all) this.everything.add(stream);
    if (info.system.length) this.system.add(stream);
    return occupied;
  }

  /** Removes a stream; returns the channels it left empty. */
  remove(stream: SseStream): string[] {
    if (!this.all.delete(stream)) return [];
    const { info } = stream;
    removeFrom(this.byClient, info.clientId, stream);
    const vacated: string[] = [];
    for (const channel of info.channels) if (removeFrom(this.byChannel, channel, stream)) vacated.push(channel);
    this.everything.delete(stream);
    this.system.delete(stream);
    return vacated;
  }

  /**
   * Calls `visit` for every stream a message goes to: on its channel, addressed to the
   * stream's client, or taking everything; filtered by type. A stream that matches
   * twice (channel and recipient) is visited twice: the stream's cursor drops the second.
   */
  forMessage(message: Message, visit: (stream: SseStream) => void): void {
    const accept = (stream: SseStream) => {
      if (!stream.info.types || stream.info.types.has(message.type)) visit(stream);
    };
    if (message.channel !== null) each(this.byChannel.get(message.channel), accept);
    if (message.to !== null) each(this.byClient.get(message.to), accept);
    this.everything.forEach(accept);
  }

  /** Calls `visit` for every stream on a system channel matching the bus event `name`. */
  forSystemEvent(name: string, visit: (stream: SseStream) => void): void {
    for (const stream of this.system) {
      const { types, system } = stream.info;
      if (types && !types.has(name)) continue;
      if (system.some((pattern) => matchesPattern(pattern, name))) visit(stream);
    }
  }

  /** Whether a stream of `clientId` other than `except` is on `channel`. */
  clientOn(channel: string, clientId: string, except: SseStream): boolean {
    const entry = this.byChannel.get(channel);
    if (entry === undefined) return false;
    if (!(entry instanceof Set)) return entry !== except && entry.info.clientId === clientId;
    for (const stream of entry) if (stream !== except && stream.info.clientId === clientId) return true;
    return false;
  }

  /** How many distinct streams a message reaches right now. */
  countFor(message: Message): number {
    const seen = new Set<SseStream>();
    this.forMessage(message, (stream) => seen.add(stream));
    return seen.size;
  }

  clientCount(): number {
    return this.byClient.size;
  }

  channelCount(): number {
    return this.byChannel.size;
  }

  /** Channel subscriptions over all streams, system channels included. */
  subscriptionCount(): number {
    let n = 0;
    for (const stream of this.all) n += stream.info.channels.length + stream.info.system.length;
    return n;
  }
}

/** One stream, or a set of them: most client ids have a single stream, and a Set per idle stream adds up. */
type Entry = SseStream | Set<SseStream>;

function each(entry: Entry | undefined, visit: (stream: SseStream) => void): void {
  if (entry === undefined) return;
  if (entry instanceof Set) entry.forEach(visit);
  else visit(entry);
}

/** Adds `stream` under `key`; returns whether the key is new. */
function addTo(index: Map<string, Entry>, key: string, stream: SseStream): boolean {
  const entry = index.get(key);
  if (entry === undefined) {
    index.set(key, stream);
    return true;
  }
  if (entry instanceof Set) entry.add(stream);
  else if (entry !== stream) index.set(key, new Set([entry, stream]));
  return false;
}

/** Removes `stream` from under `key`; returns whether the key is now gone. */
function removeFrom(index: Map<string, Entry>, key: string, stream: SseStream): boolean {
  const entry = index.get(key);
  if (entry === stream) {
    index.delete(key);
    return true;
  }
  if (!(entry instanceof Set) || !entry.delete(stream)) return false;
  if (entry.size === 1) index.set(key, entry.values().next().value as SseStream);
  return false;
}
