import { setImmediate } from 'node:timers';
import type { Message } from './types.ts';

/** One page of the backlog. */
export interface ResumePage {
  messages: readonly Message[];
  /** The page came back short: the log had nothing more after it when it was read. */
  complete: boolean;
}

/** Where a resume reads the backlog, and how far the live path has got. */
export interface ResumeSource {
  /** Reads the subscriber's messages after `cursor`, ascending by id. */
  read(cursor: number): Promise<ResumePage>;
  /**
   * The highest id this node's live path has been handed (the bus's `message.sent`).
   * A message read from the store whose live publish is still on its way must not be
   * sent again once live: the resume waits until the live path has passed its cursor.
   */
  published(): number;
  /**
   * Resolves once the live path has been handed `id` (MessageService.settled): in a
   * cluster the live path can trail the store by a broker hop or a hold. Without it
   * the resume re-reads at the next turn of the event loop.
   */
  settle?(id: number): Promise<void>;
}

/** The subscriber side of a resume: a WebSocket session or an SSE stream. */
export interface ResumeSink {
  /** False once the connection closed: the resume stops. */
  readonly open: boolean;
  /** Sends a message from the backlog; may wait for room in the connection's buffer. */
  replay(message: Message): void | Promise<void>;
  /** Sends a message held from the live path. Synchronous: it runs in the step that goes live. */
  deliverHeld(message: Message): void;
  /** Switches the subscriber to the live path (joins topics, ends holding). Synchronous. */
  goLive(): void;
}

export interface ResumeResult {
  /** Messages sent from the backlog and from the hold buffer. */
  replayed: number;
  /** The last id sent. */
  cursor: number;
}

/** Held live messages beyond this are dropped and read from the store instead. */
const MAX_HELD = 10_000;

/**
 * Brings one subscriber from a cursor to live without a gap or a duplicate, on any
 * store (reading the backlog and going live are not one synchronous step any more).
 * Shared by every realtime transport, so they all keep the same rules:
 *
 * 1. The transport registers the resume with its live path before the first read;
 *    from then on every message the live path sees for this subscriber is `offer`ed
 *    and held (a message committed before registration is in the store; one
 *    committed after it reaches the hold buffer: together they cover everything).
 * 2. The backlog is read page by page after the cursor and sent in id order, with a
 *    turn of the event loop between pages so other clients are served meanwhile.
 * 3. Once a page comes back short, nothing was dropped from the hold buffer during
 *    that read, and the live path has been handed everything read so far, the
 *    held messages newer than the cursor are sent in id order and the subscriber
 *    goes live, in one synchronous step.
 * 4. Any message at or below the cursor is dropped wherever it comes from: ids are
 *    the only identity, and they ascend with commit order.
 */
export class Resume {
  cursor: number;
  private held: Message[] = [];
  /** The highest id read from the store (the cursor may start above it: a cursor from another database). */
  private lastRead = 0;
  private dropped = false;
  private replayed = 0;

  constructor(
    since: number,
    /** Which live messages belong to this subscriber (the transport's subscription filter). */
    private readonly wants: (message: Message) => boolean,
  ) {
    this.cursor = since;
  }

  /** The live path offers every message while the resume runs. */
  offer(message: Message): void {
    if (message.id <= this.cursor || !this.wants(message)) return;
    if (this.held.length >= MAX_HELD) {
      // The store has them: forget the buffer and read once more before going live.
      this.held = [];
      this.dropped = true;
      return;
    }
    this.held.push(message);
  }

  async run(source: ResumeSource, sink: ResumeSink): Promise<ResumeResult> {
    for (;;) {
      if (!sink.open) return this.result();
      this.dropped = false;
      const page = await source.read(this.cursor);
      for (const message of page.messages) {
        if (!sink.open) return this.result();
        if (message.id > this.lastRead) this.lastRead = message.id;
        if (message.id <= this.cursor) continue;
        this.cursor = message.id;
        this.replayed++;
        await sink.replay(message);
      }
      if (!sink.open) return this.result();
      if (page.complete && !this.dropped && source.published() >= this.lastRead) {
        this.goLive(sink);
        return this.result();
      }
      // Either more pages, or the live path is about to be handed what was just read.
      // Both wait for a turn of the event loop: a store that answers at once (SQLite)
      // would otherwise replay a long backlog without letting any other request in.
      await (page.complete && source.settle && source.published() < this.lastRead
        ? source.settle(this.lastRead)
        : new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  private goLive(sink: ResumeSink): void {
    const held = this.held.sort((a, b) => a.id - b.id);
    this.held = [];
    for (const message of held) {
      if (message.id <= this.cursor) continue;
      this.cursor = message.id;
      this.replayed++;
      sink.deliverHeld(message);
    }
    sink.goLive();
  }

  private result(): ResumeResult {
    return { replayed: this.replayed, cursor: this.cursor };
  }
}
