import { setImmediate } from 'node:timers';
import { Resume } from '../../src/messages/resume.ts';
import type { MessageService } from '../../src/messages/service.ts';
import type { Message } from '../../src/messages/types.ts';
import { eventFrame } from './protocol.ts';
import type { Session } from './session.ts';

/** What a resume needs from the service around it. */
export interface CatchUpHost {
  readonly messages: MessageService;
  readonly pageSize: number;
  /** Buffered bytes above which the replay waits for the socket to drain. */
  readonly pauseAbove: number;
  /** The highest message id the bus has handed to the live path so far. */
  busSeenId(): number;
  /** Joins the channels' topics (and the inbox): from then on the runtime delivers live. */
  goLive(session: Session, channels: readonly string[], inbox: boolean): void;
  /** Counts a replayed event frame. */
  replayed(count: number): void;
  /** Resumes running now: the live path offers them every message (Fanout.deliver). */
  readonly resumes: Set<Resume>;
}

export interface CatchUpResult {
  replayed: number;
  /** The last id the replay went through. */
  cursor: number;
}

/**
 * Resumes `channels` (and, on the session's first resume, its inbox) from `since`
 * through the shared resume engine (src/messages/resume.ts): the session's `resume`
 * receives the live messages of those channels (and inbox) while the backlog is
 * read, and the session joins the topics in the step that flushes them.
 *
 * Exactly once: messages addressed to the client may already have reached the
 * session through its inbox (live since it connected) or a live channel; those are
 * skipped. The channels stay out of their topics until the end, so the live path
 * leaves them to the resume.
 */
export async function catchUp(
  host: CatchUpHost,
  session: Session,
  channels: readonly string[],
  since: number,
  inbox: boolean,
): Promise<CatchUpResult> {
  // The inbox stopped being live in this same step: everything up to here reached it.
  const startId = host.busSeenId();
  const inboxFrom = session.inboxFrom;
  const requested = new Set(channels);
  const clientId = session.clientId;

  const alreadyDelivered = (m: Message): boolean => {
    if (m.to !== clientId) return false;
    // Reached the session through its inbox (or a live channel) before this resume began.
    if (m.id > inboxFrom && m.id <= startId) return true;
    // While the inbox is replayed, messages on channels that stay live still arrive live.
    return inbox && m.id > startId && m.channel !== null && !requested.has(m.channel) && session.isLive(m.channel);
  };
  const wants = (m: Message) =>
    (m.channel !== null && requested.has(m.channel)) || (inbox && m.to === clientId && m.to !== null);

  let sent = 0;
  /** Bytes sent since the replay last yielded to the event loop. */
  let unflushed = 0;
  const send = (message: Message): boolean => {
    if (alreadyDelivered(message)) return false;
    const frame = eventFrame(message);
    session.send(frame);
    unflushed += frame.length;
    sent++;
    return true;
  };
  const resume = new Resume(since, wants);
  host.resumes.add(resume);
  try {
    const result = await resume.run(
      {
        read: async (cursor) => {
          const messages = await host.messages.replay({
            after: cursor,
            channels,
            ...(inbox ? { to: clientId } : {}),
            limit: host.pageSize,
          });
          return { messages, complete: messages.length < host.pageSize };
        },
        published: () => host.busSeenId(),
        settle: (id) => host.messages.settled(id),
      },
      {
        get open() {
          return session.open;
        },
        replay: async (message) => {
          if (send(message)) host.replayed(1);
          // The runtime writes (and counts its buffer) between ticks: yield every so many bytes.
          if (unflushed >= host.pauseAbove / 4) {
            unflushed = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          // Bound the socket's buffer by bytes, not by page: large messages fill it fast.
          while (session.open && session.bufferedAmount() > host.pauseAbove) await session.drained();
        },
        deliverHeld: (message) => {
          if (send(message)) host.replayed(1);
        },
        goLive: () => host.goLive(session, channels, inbox),
      },
    );
    return { replayed: sent, cursor: result.cursor };
  } finally {
    host.resumes.delete(resume);
  }
}
