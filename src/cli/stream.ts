import { compilePatterns } from '../kernel/bus.ts';
import { call, failure, type Remote } from './remote.ts';
import { UsageError } from './usage.ts';

/** One Server-Sent Event as the hub sends it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Splits a text/event-stream body into events (comments and `retry:` lines are dropped). */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) yield { ...event, data: data.join('\n') };
    }
  }
}

export interface FollowOptions {
  /**
   * Channel names or patterns. The hub's streams take names only, so with a pattern
   * (`alerts.*`) the stream asks for every message (`*`, which needs the admin token
   * or a JWT with `system: true`) and the patterns are applied here.
   */
  channels: string[];
  /** Resume after this message id (the first connection's Last-Event-ID). */
  since?: string;
  /** Stop after this many messages (scripts, tests); default: run until stopped. */
  count?: number;
  /** One JSON line per message. */
  write: (line: string) => void;
  /** Notes for the operator (reconnects, gaps), one line each. */
  note: (line: string) => void;
  signal: AbortSignal;
  /** Longest wait between reconnects (ms). */
  maxBackoffMs?: number;
}

/**
 * Follows `/stream/events` and writes each message as one JSON line. When the
 * connection drops (hub restart, network), it reconnects with the last message id
 * as Last-Event-ID, so nothing is lost or repeated; a gap the hub reports (expired
 * messages) is noted. Returns the number of messages written.
 */
export async function follow(remote: Remote, options: FollowOptions): Promise<number> {
  let lastId = options.since;
  let written = 0;
  let backoff = 250;
  const patterns = options.channels.some((c) => c.includes('*'));
  const wanted = compilePatterns(options.channels);
  const query = new URLSearchParams({ channels: patterns ? '*' : options.channels.join(',') });
  while (!options.signal.aborted) {
    let res: Response;
    try {
      res = await call(remote, `/stream/events?${query}`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: options.signal,
      });
    } catch (err) {
      if (options.signal.aborted) break;
      options.note(`${(err as Error).message}; retrying`);
      await pause(backoff, options.signal);
      backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 5000);
      continue;
    }
    // A refusal the client has to fix (bad token, forbidden channel, no sse plugin) is final.
    if (res.status >= 400 && res.status < 500) throw await failure(res, 'the stream was refused');
    if (!res.ok || !res.body) {
      await res.arrayBuffer().catch(() => undefined);
      options.note(`the hub answered ${res.status}; retrying`);
      await pause(backoff, options.signal);
      backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 5000);
      continue;
    }
    try {
      for await (const event of sseEvents(res.body)) {
        backoff = 250;
        if (event.event === 'relaykit.gap') options.note(`gap: ${event.data}`);
        if (event.event.startsWith('relaykit.')) continue;
        if (event.id) lastId = event.id;
        if (patterns && !wanted(channelOf(event.data))) continue;
        options.write(event.data);
        written += 1;
        if (options.count !== undefined && written >= options.count) return written;
      }
    } catch (err) {
      if (options.signal.aborted) break;
      options.note(`the stream broke (${(err as Error).message})`);
    }
    if (options.signal.aborted) break;
    options.note(`disconnected; reconnecting${lastId ? ` after message ${lastId}` : ''}`);
    await pause(backoff, options.signal);
  }
  return written;
}

/** The channel of an event envelope (`{"channel":...}`); a direct message has none. */
function channelOf(data: string): string {
  try {
    const channel = (JSON.parse(data) as { channel?: unknown }).channel;
    return typeof channel === 'string' ? channel : '';
  } catch {
    return '';
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** `--since`: a message id. */
export function parseSince(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--since: expected a message id, got "${value}"`);
  return value;
}
