import type { BusEvent, EventName, RelaykitEvents } from './events.ts';

export type Unsubscribe = () => void;
export type EventHandler<K extends EventName> = (
  payload: RelaykitEvents[K],
  event: BusEvent<K>,
) => void | Promise<void>;
export type AnyEventHandler = (event: BusEvent) => void | Promise<void>;

/**
 * The hub's event bus. Publishing never fails because of a subscriber: one that
 * throws (or rejects) is reported through `onHandlerError` and the others still
 * run. The in-process implementation is the default; a Redis or NATS one can
 * replace it for multi-node deployments and must pass the same contract suite
 * (test/contracts/bus.contract.ts).
 */
export interface EventBus {
  /** Delivers `payload` to every subscriber of `name` and to every `onAny` subscriber. */
  publish<K extends EventName>(name: K, payload: RelaykitEvents[K]): void;
  /** Subscribes to one event name. */
  on<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe;
  /** Subscribes to every event (system channels, webhooks). */
  onAny(handler: AnyEventHandler): Unsubscribe;
  /** Drops every subscriber. */
  close(): Promise<void>;
}

export interface BusErrorReport {
  event: string;
  error: unknown;
}

/**
 * Matches a name against a pattern where `*` stands for any run of characters.
 * Linear: the literal pieces between stars are found left to right (the leftmost
 * match of each is always the right one), so no pattern can make it backtrack.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === name) return true;
  if (!pattern.includes('*')) return false;
  return globMatcher(pattern)(name);
}

/** One `*` pattern as a linear test. */
function globMatcher(pattern: string): (name: string) => boolean {
  const pieces = pattern.split('*');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter(Boolean);
  const minLength = pieces.reduce((n, p) => n + p.length, 0);
  return function globMatch(name: string): boolean {
    if (name.length < minLength || !name.startsWith(first) || !name.endsWith(last)) return false;
    let at = first.length;
    const end = name.length - last.length;
    for (const piece of middle) {
      const found = name.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}

/**
 * Compiles `*` patterns (the semantics of `matchesPattern`) once into one test, for
 * hot paths that match every event or message against the same patterns.
 */
export function compilePatterns(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = [...new Set(patterns.filter((p) => p.includes('*')))].map(globMatcher);
  if (!wild.length) return (name) => exact.has(name);
  return (name) => exact.has(name) || wild.some((match) => match(name));
}
