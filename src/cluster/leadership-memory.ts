import { LeadershipBase } from './leadership.ts';

/**
 * Leadership inside one process: the single-node default (the only candidate
 * leads at once), and several candidates in one process for tests. The first
 * candidate of a name leads; when it closes, the next in joining order does.
 */
export class MemoryElection {
  private readonly queues = new Map<string, MemoryLeadership[]>();

  /** Joins the election for `name`. */
  candidate(name: string, onError: (error: unknown) => void = () => {}): MemoryLeadership {
    const candidate = new MemoryLeadership(name, onError, this);
    const queue = this.queues.get(name) ?? [];
    queue.push(candidate);
    this.queues.set(name, queue);
    this.elect(name);
    return candidate;
  }

  /** Removes a candidate and elects the next one (called by MemoryLeadership.close). */
  withdraw(candidate: MemoryLeadership): void {
    const queue = (this.queues.get(candidate.name) ?? []).filter((c) => c !== candidate);
    this.queues.set(candidate.name, queue);
    this.elect(candidate.name);
  }

  /** On a microtask, so a caller can subscribe with onChange before the first promotion. */
  private elect(name: string): void {
    queueMicrotask(() => this.queues.get(name)?.[0]?.promote());
  }
}

export class MemoryLeadership extends LeadershipBase {
  private closed = false;

  constructor(
    name: string,
    onError: (error: unknown) => void,
    private readonly election: MemoryElection,
  ) {
    super(name, onError);
  }

  /** Made leader by its election. */
  promote(): void {
    if (!this.closed) this.set(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.set(false);
    this.election.withdraw(this);
  }
}
