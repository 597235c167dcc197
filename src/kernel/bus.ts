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

/** Matches an event name against a pattern where `*` stands for any run of characters. */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === name) return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(name);
}

/**
 * Compiles `*` patterns (the semantics of `matchesPattern`) once into one test, for
 * hot paths that match every event or message against the same patterns.
 */
export function compilePatterns(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns.filter((p) => p.includes('*'));
  if (!wild.length) return (name) => exact.has(name);
  const re = new RegExp(`^(?:${wild.map((p) => p.split('*').map(escapeRegExp).join('.*')).join('|')})$`);
  return (name) => exact.has(name) || re.test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
