import type { Timers } from './backoff.ts';

/**
 * The two ways the SSE helper reads a stream: the platform's `EventSource` (browsers,
 * Deno), or `fetch` with a streaming body (everywhere fetch is, Node 20 and Bun
 * included). Both report the same things to the helper.
 */
export interface SourceEvents {
  /** One SSE event: its name, raw `data` and `id` field. */
  event(name: string, data: string, id: string | null): void;
  /**
   * The stream is over. `retrying`: the platform reconnects by itself (EventSource
   * after a network error); otherwise the helper decides. `status` is the HTTP status
   * when the hub refused the stream, when known.
   */
  ended(info: { retrying: boolean; status: number | null; reason: string }): void;
}

export interface Source {
  /** Starts delivering events named `name` (EventSource only delivers names it listens to). */
  listen(name: string): void;
  close(): void;
}

/** The part of an EventSource message event the helper reads (no DOM types needed). */
export interface SseMessageLike {
  readonly data: string;
  readonly lastEventId: string;
}

/** The part of the EventSource API the helper uses. */
export interface EventSourceLike {
  readonly readyState: number;
  close(): void;
  addEventListener(type: string, listener: (event: SseMessageLike) => void): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

const CLOSED = 2;

export function eventSourceSource(
  EventSourceImpl: EventSourceConstructor,
  url: string,
  names: Iterable<string>,
  events: SourceEvents,
): Source {
  const es = new EventSourceImpl(url);
  const listening = new Set<string>();
  let done = false;
  const listen = (name: string) => {
    if (listening.has(name)) return;
    listening.add(name);
    es.addEventListener(name, (e) => {
      if (!done) events.event(name, e.data, e.lastEventId ? e.lastEventId : null);
    });
  };
  for (const name of names) listen(name);
  es.addEventListener('error', () => {
    if (done) return;
    const retrying = es.readyState !== CLOSED;
    if (!retrying) done = true;
    events.ended({ retrying, status: null, reason: retrying ? 'connection lost' : 'the hub refused the stream' });
  });
  return {
    listen,
    close() {
      done = true;
      es.close();
    },
  };
}

export interface FetchSourceOptions {
  fetch: typeof fetch;
  headers: Record<string, string>;
  timers: Timers;
  /** Nothing read (not even the hub's heartbeat comment) for this long: the stream is dead. */
  heartbeatTimeoutMs: number;
}

export function fetchSource(url: string, options: FetchSourceOptions, events: SourceEvents): Source {
  const abort = new AbortController();
  let done = false;
  let heard = false;
  let timer: unknown = null;
  const end = (info: { status: number | null; reason: string }) => {
    if (done) return;
    done = true;
    if (timer !== null) options.timers.clearTimeout(timer);
    abort.abort();
    events.ended({ retrying: false, ...info });
  };
  const watch = () => {
    timer = options.timers.setTimeout(() => {
      if (!heard) return end({ status: null, reason: 'heartbeat timeout' });
      heard = false;
      watch();
    }, options.heartbeatTimeoutMs);
  };
  const run = async () => {
    const response = await options.fetch(url, {
      headers: { accept: 'text/event-stream', ...options.headers },
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      return end({ status: response.status, reason: `the hub answered ${response.status}` });
    }
    watch();
    const parser = new SseParser((name, data, id) => !done && events.event(name, data, id));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      heard = true;
      parser.push(value);
    }
    end({ status: null, reason: 'the stream ended' });
  };
  run().catch((error: unknown) =>
    end({ status: null, reason: error instanceof Error ? error.message : String(error) }),
  );
  return {
    listen() {},
    close() {
      done = true;
      if (timer !== null) options.timers.clearTimeout(timer);
      abort.abort();
    },
  };
}

/** The `text/event-stream` format (WHATWG HTML §9.2), event by event. */
export class SseParser {
  private rest = '';
  private name = '';
  private data: string[] = [];
  private id: string | null = null;

  constructor(private readonly dispatch: (name: string, data: string, id: string | null) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split(/\r\n|\r|\n/);
    // A trailing \r may be the first half of \r\n: keep it for the next chunk.
    this.rest = lines.pop() ?? '';
    if (text.endsWith('\r')) this.rest = `${lines.pop() ?? ''}\r`;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      this.flush();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.name = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }

  private flush(): void {
    if (this.data.length > 0) this.dispatch(this.name || 'message', this.data.join('\n'), this.id);
    this.name = '';
    this.data = [];
  }
}
