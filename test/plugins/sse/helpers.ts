import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { waitFor } from '../../helpers/hub.ts';

/** One event as a client saw it. */
export interface SeenEvent {
  event: string;
  /** The `id:` field (the EventSource's lastEventId at the time). */
  id: string;
  data: unknown;
}

export interface WatchedSource {
  source: EventSource;
  events: SeenEvent[];
  /** Errors the EventSource reported (disconnects, refused requests), with the HTTP status when there was one. */
  errors: Array<{ code?: number; message?: string }>;
  /** Message ids received, in order (events with an `id:`). */
  ids(): number[];
  /** Events of one name. */
  named(event: string): SeenEvent[];
  close(): void;
}

/**
 * Opens a real EventSource (the `eventsource` package) and records every event whose
 * name is in `names` (EventSource has no wildcard listener), plus the control events.
 */
export function watch(
  url: string,
  names: readonly string[],
  init: { headers?: Record<string, string> } = {},
): WatchedSource {
  const events: SeenEvent[] = [];
  const errors: WatchedSource['errors'] = [];
  const source = new EventSource(url, {
    fetch: (input, options) => fetch(input, { ...options, headers: { ...options.headers, ...init.headers } }),
  });
  for (const name of new Set([...names, 'relaykit.connected', 'relaykit.gap'])) {
    source.addEventListener(name, (e) => {
      const message = e as MessageEvent<string>;
      events.push({ event: name, id: message.lastEventId, data: JSON.parse(message.data) });
    });
  }
  source.addEventListener('error', (e) => {
    const err = e as unknown as { code?: number; message?: string };
    errors.push({ code: err.code, message: err.message });
  });
  return {
    source,
    events,
    errors,
    ids: () => events.filter((e) => !e.event.startsWith('relaykit.')).map((e) => Number(e.id)),
    named: (event) => events.filter((e) => e.event === event),
    close: () => source.close(),
  };
}

/** Waits until the source has received `n` message events. */
export function waitForIds(source: WatchedSource, n: number, ms = 5000): Promise<void> {
  return waitFor(() => source.ids().length >= n, ms, `${n} events (got ${source.ids().length})`);
}

/** One event parsed from raw text/event-stream bytes (comments and retry kept). */
export interface RawEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** Reads a stream with a plain fetch reader, parsing events as they come. */
export interface RawStream {
  response: Response;
  events: RawEvent[];
  /** Resolves when the stream ended (EOF or error). */
  ended: Promise<'eof' | 'error'>;
  /** Stops reading (the bytes pile up on the server: a slow consumer). */
  pause(): void;
  resume(): void;
  cancel(): Promise<void>;
}

export async function openRaw(url: string, init: RequestInit = {}): Promise<RawStream> {
  const response = await fetch(url, init);
  const events: RawEvent[] = [];
  let paused = false;
  let resume: (() => void) | null = null;
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async (): Promise<'eof' | 'error'> => {
    let buffer = '';
    try {
      for (;;) {
        while (paused) await new Promise<void>((r) => (resume = r));
        const { done, value } = await reader.read();
        if (done) return 'eof';
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          events.push(parseBlock(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      return 'error';
    }
  })();
  return {
    response,
    events,
    ended,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      (resume as (() => void) | null)?.();
    },
    cancel: async () => {
      paused = false;
      (resume as (() => void) | null)?.();
      await reader.cancel().catch(() => {});
    },
  };
}

function parseBlock(block: string): RawEvent {
  const event: RawEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      event.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon) as 'id' | 'event' | 'data' | 'retry';
    event[name] = line.slice(colon + 1).replace(/^ /, '');
  }
  return event;
}

export const JWT_SECRET = 'a-test-secret-of-enough-length';

/** Signs an HS256 token for the test hubs' `auth.jwt.secret`. */
export async function signToken(claims: Record<string, unknown>, expiresIn: string | number = '1h'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

/** Posts messages one after another; returns their ids. */
export async function post(
  base: string,
  messages: Array<{ channel?: string; to?: string; type: string; payload?: unknown }>,
  token?: string,
): Promise<number[]> {
  const ids: number[] = [];
  for (const message of messages) {
    const res = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ payload: null, ...message }),
    });
    if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
    ids.push(((await res.json()) as { id: number }).id);
  }
  return ids;
}

/** 1..n as an array of ids. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
