import { setImmediate } from 'node:timers';
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
  /** Joins the channels' topics (and the inbox) in the same tick as the last read. */
  goLive(session: Session, channels: readonly string[], inbox: boolean): void;
  /** Counts a replayed event frame. */
  replayed(count: number): void;
}

export interface CatchUpResult {
  replayed: number;
  /** The last id the replay went through. */
  cursor: number;
}

/**
 * Resumes `channels` (and, on the session's first resume, its inbox) from `since`:
 * pages through the event log, then joins the live topics in the same tick as the
 * read that found nothing more. Nothing is lost between the two because a commit
 * and its `message.sent` happen in one synchronous step: every message committed
 * before the last read is in it, every later one reaches the joined topic.
 *
 * Exactly once: messages addressed to the client may already have reached the
 * session through its inbox (live since it connected) or a live channel; those are
 * skipped. The channels stay out of their topics until the end, so the live path
 * leaves them to the replay.
 */
export async function catchUp(
  host: CatchUpHost,
  session: Session,
  channels: readonly string[],
  since: number,
  inbox: boolean,
): Promise<CatchUpResult> {
  const startId = host.messages.lastId();
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

  let cursor = since;
  let lastRead = 0;
  let replayed = 0;
  for (;;) {
    if (!session.open) return { replayed, cursor };
    const page = host.messages.replay({
      after: cursor,
      channels,
      ...(inbox ? { to: clientId } : {}),
      limit: host.pageSize,
    });
    let sent = 0;
    let whole = true;
    for (const message of page) {
      cursor = message.id;
      lastRead = message.id;
      if (!alreadyDelivered(message)) {
        session.send(eventFrame(message));
        sent++;
      }
      // Bound the socket's buffer by bytes, not by page: large messages fill it fast.
      if (session.bufferedAmount() > host.pauseAbove) {
        whole = false;
        break;
      }
    }
    replayed += sent;
    host.replayed(sent);
    // Level with the log, and the bus has handed out everything up to here (an
    // asynchronous bus could still be holding replayed ids): go live now, in this tick.
    if (whole && page.length < host.pageSize && host.busSeenId() >= Math.max(lastRead, startId)) {
      host.goLive(session, channels, inbox);
      return { replayed, cursor };
    }
    if (session.bufferedAmount() > host.pauseAbove) {
      while (session.open && session.bufferedAmount() > host.pauseAbove) await session.drained();
    } else {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
