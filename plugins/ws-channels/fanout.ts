import type { BusEvent } from '../../src/kernel/events.ts';
import type { Message } from '../../src/messages/types.ts';
import { eventFrame, systemEventFrame } from './protocol.ts';
import type { WsService } from './service.ts';
import type { Session } from './session.ts';

/**
 * The live path. A stored message goes out with one pub/sub publish per channel (the
 * runtime fans out natively); direct messages go to their client's few connections.
 * When the runtime reports that a publish left frames queued, the subscribers' send
 * buffers are checked once the burst is over and those over the bound are closed as
 * slow consumers: an event is never dropped for a connected client.
 *
 * Reading every subscriber's buffer after every queued publish cost more than the
 * publish itself at a thousand subscribers, so the check is skipped while it cannot
 * find anyone: a buffer only grows by what was queued into it, so no connection can
 * be over the bound before `largestSeen` (the fullest buffer at the last check, or at
 * a direct send since) plus the bytes published with backpressure since then passes it.
 */
export class Fanout {
  private sweepScheduled = false;
  /** The fullest send buffer seen at the last check (or by a direct send since). */
  private largestSeen = 0;
  /** Bytes published with backpressure since the last check: what any buffer may have grown by. */
  private queuedSince = 0;

  constructor(private readonly svc: WsService) {}

  deliver(message: Message): void {
    const svc = this.svc;
    let frame: string | null = null;
    if (message.channel !== null) {
      const state = svc.channels.get(message.channel);
      if (state && state.live > 0) {
        frame = eventFrame(message);
        this.publish(svc.channelTopic(message.channel), frame, state.live);
      }
    }
    if (message.to !== null) {
      // A client's own connections are few: they are sent to directly, no topic per client.
      // On a channel too, sessions subscribed to it get it there (live now, or from their replay).
      const channel = message.channel;
      for (const s of svc.byClient.get(message.to)) {
        if (!s.inboxJoined || (channel !== null && s.subscribedTo(channel))) continue;
        frame ??= eventFrame(message);
        if (this.sendTo(s, frame)) svc.metrics.delivered.inc({ mode: 'live' });
      }
    } else if (message.channel === null && svc.sessions.size) {
      this.publish(svc.allTopic, eventFrame(message), svc.sessions.size);
    }
  }

  /** The hub's own events, to the system channels whose pattern matches. */
  deliverSystem(event: BusEvent): void {
    const svc = this.svc;
    if (!svc.systemChannels.size) return;
    let at: string | null = null;
    for (const [channel, state] of svc.systemChannels) {
      if (!state.live || !state.matches?.(event.name)) continue;
      at ??= svc.now();
      const frame = systemEventFrame(channel, event.name, event.payload, at);
      this.publish(svc.channelTopic(channel), frame, state.live);
    }
  }

  /** Sends one frame to one session and enforces its send-buffer bound. */
  sendTo(session: Session, frame: string): boolean {
    const result = session.ws && session.state !== 'closed' ? session.ws.send(frame) : 0;
    if (result === 0) return false;
    this.svc.framesOut++;
    this.svc.metrics.framesOut.inc();
    if (result === -1) {
      const buffered = session.bufferedAmount();
      if (buffered > this.svc.options.sendBufferBytes) this.svc.slowConsumer(session);
      else if (buffered > this.largestSeen) this.largestSeen = buffered;
    }
    return true;
  }

  /** Counts event frames that went out (a publish counts once per receiver). */
  counted(count: number, mode: 'live' | 'replay'): void {
    this.svc.framesOut += count;
    this.svc.metrics.framesOut.inc(count);
    this.svc.metrics.delivered.inc({ mode }, count);
  }

  private publish(topic: string, frame: string, receivers: number): void {
    const result = this.svc.ctx.server.publish(topic, frame);
    this.counted(receivers, 'live');
    if (result === -1) this.checkBuffers(frame);
  }

  private checkBuffers(frame: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: an upper bound without encoding the frame.
    this.queuedSince += frame.length * 3;
    if (this.sweepScheduled || this.largestSeen + this.queuedSince <= this.svc.options.sendBufferBytes) return;
    this.sweepScheduled = true;
    queueMicrotask(() => this.sweep());
  }

  /** Closes every connection over the bound and notes the fullest buffer left. */
  private sweep(): void {
    this.sweepScheduled = false;
    this.queuedSince = 0;
    const limit = this.svc.options.sendBufferBytes;
    let largest = 0;
    for (const s of [...this.svc.sessions]) {
      const buffered = s.bufferedAmount();
      if (buffered > limit) this.svc.slowConsumer(s);
      else if (buffered > largest) largest = buffered;
    }
    this.largestSeen = largest;
  }
}
