/** Helpers for the realtime SDK's tests: timers the test can hold, event ids. */
import type { RealtimeEvent, Timers } from '../../../clients/realtime/src/index.ts';

export { waitFor } from '../../helpers/hub.ts';
export { HubUnderTest } from '../../helpers/hub-process.ts';

/**
 * Timers the test can hold: while `held`, new timeouts wait (with the delay they asked
 * for recorded) until `release()`; released ones run after `scale` × their delay.
 */
export class HeldTimers implements Timers {
  readonly requested: number[] = [];
  held = false;
  private queue: Array<{ fn: () => void; ms: number; handle: { id: unknown; cancelled: boolean } }> = [];

  constructor(private readonly scale = 1) {}

  setTimeout(fn: () => void, ms: number): unknown {
    this.requested.push(ms);
    const handle = { id: null as unknown, cancelled: false };
    if (this.held) this.queue.push({ fn, ms, handle });
    else handle.id = setTimeout(fn, ms * this.scale);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    const h = handle as { id: unknown; cancelled: boolean };
    h.cancelled = true;
    clearTimeout(h.id as ReturnType<typeof setTimeout>);
  }

  /** Timeouts asked for while held and not cleared. */
  get waiting(): number {
    return this.queue.filter((t) => !t.handle.cancelled).length;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const { fn, ms, handle } of this.queue.splice(0)) {
      if (!handle.cancelled) handle.id = setTimeout(fn, ms * this.scale);
    }
  }
}

/** The ids of events, in the order received. */
export function ids(events: readonly RealtimeEvent[]): number[] {
  return events.map((e) => e.id as number);
}
