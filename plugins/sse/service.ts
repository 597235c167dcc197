import { ChannelOccupancy, type ClusterChannels, summarize } from '../../src/cluster/occupancy.ts';
import { remoteAddressOf } from '../../src/kernel/app.ts';
import { HubError } from '../../src/kernel/errors.ts';
import type { BusEvent } from '../../src/kernel/events.ts';
import type { PluginContext, StopReason } from '../../src/kernel/plugin.ts';
import { Resume } from '../../src/messages/resume.ts';
import type { Message } from '../../src/messages/types.ts';
import { resolveStreamAccess, type TokenSources } from './auth.ts';
import { parseFilter } from './filter.ts';
import { createSseMetrics, type SseGauges, type SseMetrics } from './metrics.ts';
import {
  ControlEvents,
  type DataFormat,
  encodeEvent,
  encodeMessage,
  encodeRetry,
  encodeSystem,
  type GapNotice,
  HEARTBEAT,
} from './protocol.ts';
import { StreamRegistry } from './registry.ts';
import { type CloseReason, SseStream, type StreamFilter, type StreamInfo, type StreamLimits } from './stream.ts';

/** The plugin's options after validation (see index.ts for each field's documentation). */
export interface SseSettings {
  retryMs: number;
  heartbeatMs: number;
  maxQueueBytes: number;
  maxStreams: number;
  maxChannels: number;
  maxTypes: number;
  replayPageSize: number;
  broadcastChannel: string;
  data: DataFormat;
  auth: TokenSources;
}

/** The query string of `GET /stream/events`. */
export interface StreamQuery {
  client_id?: string;
  channels?: string;
  subscribe?: string;
  last_event_id?: string;
  token?: string;
}

const TRANSPORT = 'sse';
/** Bytes below which the runtime pulls more; replay pages are paced by it. */
const HIGH_WATER_MARK = 64 * 1024;
/** Longest delay a timer takes (2^31 - 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The long-lived state of one sse instance: its open streams, the bus subscriptions
 * that feed them and the heartbeat. Routes are rebuilt over it at every hot swap;
 * `stop` ends every stream it opened and nothing else.
 */
export class SseService implements SseGauges {
  readonly streams = new StreamRegistry();
  readonly metrics: SseMetrics;
  readonly totals = { opened: 0, live: 0, replayed: 0, system: 0, slowConsumerCloses: 0, gaps: 0 };
  private nextId = 1;
  /** The highest message id the bus has handed to the live path (resumes go live once past it). */
  private published = 0;
  private stopping = false;
  private cancelHeartbeat: (() => void) | null = null;
  private readonly limits: StreamLimits;
  /** On a cluster: this plugin's channels in the shared presence, which decides their occupancy. */
  private cluster: ChannelOccupancy | null = null;

  constructor(
    private readonly ctx: PluginContext,
    readonly settings: SseSettings,
  ) {
    this.metrics = createSseMetrics(ctx.metrics, this);
    const highWaterMark = Math.min(HIGH_WATER_MARK, Math.floor(settings.maxQueueBytes / 4));
    this.limits = {
      maxQueueBytes: settings.maxQueueBytes,
      highWaterMark,
      strategy: new ByteLengthQueuingStrategy({ highWaterMark }),
    };
  }

  async start(): Promise<void> {
    this.ctx.bus.on('message.sent', (message) => {
      if (message.id > this.published) this.published = message.id;
      this.fanOut(message);
    });
    this.ctx.bus.onAny((event) => this.fanOutSystem(event));
    this.cancelHeartbeat = this.ctx.clock.setInterval(() => this.heartbeat(), this.settings.heartbeatMs);
    if (this.ctx.cluster.clustered) {
      this.cluster = new ChannelOccupancy(
        this.ctx.cluster.presence,
        this.presencePrefix,
        (channel, occupied) => this.occupancy(channel, occupied),
        (err) => this.ctx.log.warn({ err }, 'sse: cluster presence write failed'),
        this.ctx.clock,
      );
    }
    // Subscribed first: whatever the live path publishes from here is counted either way.
    const last = this.ctx.messages.published();
    if (last > this.published) this.published = last;
  }

  /** Ends every stream of this instance (the clients reconnect and resume) and the heartbeat. */
  stop(reason: StopReason): void {
    this.stopping = true;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = null;
    const why: CloseReason = reason === 'disable' ? 'disabled' : reason === 'shutdown' ? 'shutdown' : 'restart';
    for (const stream of [...this.streams.all]) stream.end(why);
    // The leaves just queued still report what they vacate.
    this.cluster?.close();
  }

  /** On a cluster: this plugin's channels on every live node (from the shared presence); null on a single hub. */
  async clusterChannels(): Promise<ClusterChannels | null> {
    if (!this.ctx.cluster.clustered) return null;
    return summarize(await this.ctx.cluster.presence.channels(this.presencePrefix));
  }

  /** Where this plugin's channels live in the cluster's presence (`<plugin name>:<channel>`). */
  get presencePrefix(): string {
    return `${this.ctx.name}:`;
  }

  /** Publishes a change of a channel's occupancy (on a cluster: decided by the shared presence, once per cluster). */
  private occupancy(channel: string, occupied: boolean): void {
    const at = iso(this.ctx.clock.now());
    this.ctx.bus.publish(occupied ? 'channel.occupied' : 'channel.vacated', { channel, transport: TRANSPORT, at });
  }

  /** Opens a stream for `GET /stream/events`; throws a HubError (JSON response) when it cannot. */
  async open(request: Request, query: StreamQuery): Promise<Response> {
    try {
      return await this.accept(request, query);
    } catch (err) {
      this.metrics.rejected.inc({ code: err instanceof HubError ? err.code : 'RELAYKIT_ERR_INTERNAL' });
      throw err;
    }
  }

  private async accept(request: Request, query: StreamQuery): Promise<Response> {
    if (this.stopping) return retryLater(this.settings.retryMs);
    const { access, expiresAt } = await resolveStreamAccess(request, query.token, this.ctx.auth, this.settings.auth);
    const filter = parseFilter(
      { clientId: query.client_id, channels: query.channels, subscribe: query.subscribe },
      access,
      this.settings,
    );
    const resumeFrom = parseLastEventId(request.headers.get('last-event-id') ?? query.last_event_id);
    // The instance may have been stopped while the token was verified.
    if (this.stopping) return retryLater(this.settings.retryMs);
    if (this.streams.size >= this.settings.maxStreams) throw new HubError('RELAYKIT_ERR_SSE_TOO_MANY_STREAMS');
    const gap = resumeFrom === null ? null : await this.gapFor(resumeFrom);
    if (this.stopping) return retryLater(this.settings.retryMs);
    // One caller (its identity, or its IP) cannot take every stream: 429 over its cap.
    const slot = this.ctx.quotas.connections.acquire(access, remoteAddressOf(request));
    const { response, joined } = this.openStream(filter, access.via, resumeFrom, gap, expiresAt, slot);
    // On a cluster the response waits for the shared presence: once a client reads
    // `relaykit.connected`, every node lists it. What arrives meanwhile is buffered.
    if (joined) await joined;
    return response;
  }

  /**
   * Registers a new stream and writes its first events. Synchronous on purpose: what an
   * open stream keeps alive must not include the request (closures made inside an async
   * function would hold its whole frame for the life of the stream).
   */
  private openStream(
    filter: StreamFilter,
    via: StreamInfo['via'],
    resumeFrom: number | null,
    gap: GapNotice | null,
    expiresAt: number | null,
    releaseSlot: () => void,
  ): { response: Response; joined: Promise<unknown> | null } {
    const now = this.ctx.clock.now();
    const stream = new SseStream(
      { ...filter, id: this.nextId++, via, connectedAt: now, resumedFrom: resumeFrom },
      this.limits,
      this.closedHandler,
    );
    stream.releaseSlot = releaseSlot;
    stream.write(encodeRetry(this.settings.retryMs));
    stream.write(
      encodeEvent(ControlEvents.connected, {
        client_id: filter.clientId,
        stream_id: stream.info.id,
        channels: [...filter.channels, ...(filter.all ? ['*'] : []), ...filter.system.map((p) => `$hub:${p}`)],
        subscribe: filter.types ? [...filter.types] : null,
        last_event_id: resumeFrom,
      }),
    );
    let replayFrom = resumeFrom;
    if (resumeFrom !== null) {
      if (gap) {
        stream.write(encodeEvent(ControlEvents.gap, gap));
        this.totals.gaps++;
        this.metrics.gaps.inc();
        // An id from the future (a new database): restart from what the hub has.
        if (gap.reason === 'unknown') replayFrom = stream.cursor = gap.horizon;
      }
    }

    const occupied = this.streams.add(stream);
    let joined: Promise<unknown> | null = null;
    if (this.cluster) {
      const { clientId } = filter;
      const joins: Promise<void>[] = [];
      for (const channel of stream.info.channels) {
        if (!this.streams.clientOn(channel, clientId, stream)) joins.push(this.cluster.join(channel, clientId));
      }
      if (joins.length) joined = Promise.all(joins);
    } else {
      for (const channel of occupied)
        this.ctx.bus.publish('channel.occupied', { channel, transport: TRANSPORT, at: iso(now) });
    }
    this.totals.opened++;
    this.metrics.opened.inc({ resumed: resumeFrom === null ? 'false' : 'true' });
    this.ctx.bus.publish('client.connected', { clientId: filter.clientId, transport: TRANSPORT, at: iso(now) });

    if (replayFrom === null) stream.goLive();
    else {
      // Registered with the live path (streams.add above) before the first read: the live
      // messages of this stream reach the resume from now on.
      stream.resume = new Resume(replayFrom, () => true);
      this.startCatchUp(stream, stream.resume);
    }
    if (expiresAt !== null) this.endAtExpiry(stream, expiresAt);
    const response = new Response(stream.body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
    return { response, joined };
  }

  private readonly closedHandler = (stream: SseStream, reason: CloseReason) => this.onClosed(stream, reason);

  private startCatchUp(stream: SseStream, resume: Resume): void {
    this.catchUp(stream, resume).catch((err: unknown) => {
      this.ctx.log.error({ err, stream: stream.info.id }, 'sse catch-up failed');
      stream.fail('error');
    });
  }

  /**
   * Replays what the stream missed through the shared resume engine, page by page
   * and paced by the client, then goes live: live messages arriving meanwhile are held
   * by the engine and de-duplicated by id.
   */
  private async catchUp(stream: SseStream, resume: Resume): Promise<void> {
    const { info } = stream;
    const { replayPageSize, data } = this.settings;
    let limit = replayPageSize;
    let bytes = 0;
    let written = 0;
    const send = (message: Message, chunk: Uint8Array) => {
      if (!stream.writeReplayed(message, chunk)) return;
      bytes += chunk.byteLength;
      written++;
      this.totals.replayed++;
      this.metrics.delivered.inc({ kind: 'replay' });
    };
    await resume.run(
      {
        read: async (cursor) => {
          if (written) {
            // Large messages: smaller pages, so a page in memory stays near the queue limit.
            const average = bytes / written;
            limit = Math.max(1, Math.min(replayPageSize, Math.floor(this.limits.maxQueueBytes / Math.max(1, average))));
          }
          const messages = await this.ctx.messages.replay({
            after: cursor,
            channels: info.channels,
            to: info.clientId,
            all: info.all,
            ...(info.types ? { types: [...info.types] } : {}),
            limit,
          });
          return { messages, complete: messages.length < limit };
        },
        published: () => this.published,
        settle: (id) => this.ctx.messages.settled(id),
      },
      {
        get open() {
          return !stream.closed;
        },
        replay: async (message) => {
          const chunk = encodeMessage(message, data);
          if (!stream.hasRoom(chunk.byteLength)) await stream.waitForRoom(chunk.byteLength);
          if (!stream.closed) send(message, chunk);
        },
        deliverHeld: (message) => send(message, encodeMessage(message, data)),
        goLive: () => stream.goLive(),
      },
    );
  }

  /** Ends the stream when its token expires; timers cap at about 24 days, so a longer wait is chained. */
  private endAtExpiry(stream: SseStream, expiresAt: number): void {
    const delay = expiresAt - this.ctx.clock.now();
    if (delay <= 0) {
      stream.end('token_expired');
      return;
    }
    stream.endAt(
      this.ctx.clock.setTimeout(
        () => (delay > MAX_TIMER_MS ? this.endAtExpiry(stream, expiresAt) : stream.end('token_expired')),
        Math.min(delay, MAX_TIMER_MS),
      ),
    );
  }

  /** Where a resume from `lastEventId` may have lost messages, or null when it is safe. */
  private async gapFor(lastEventId: number): Promise<GapNotice | null> {
    const horizon = await this.ctx.messages.horizon();
    if (lastEventId < horizon) return { last_event_id: lastEventId, horizon, reason: 'retention' };
    const latest = await this.ctx.messages.lastId();
    if (lastEventId > latest) return { last_event_id: lastEventId, horizon: latest, reason: 'unknown' };
    return null;
  }

  private fanOut(message: Message): void {
    if (!this.streams.size) return;
    let chunk: Uint8Array | null = null;
    let sent = 0;
    this.streams.forMessage(message, (stream) => {
      chunk ??= encodeMessage(message, this.settings.data);
      if (stream.deliver(message, chunk)) sent++;
    });
    this.count('live', sent);
  }

  private fanOutSystem(event: BusEvent): void {
    if (!this.streams.size) return;
    let chunk: Uint8Array | null = null;
    let sent = 0;
    this.streams.forSystemEvent(event.name, (stream) => {
      chunk ??= encodeSystem(`$hub:${event.name}`, event.name, event.payload, this.ctx.clock.now());
      if (stream.deliverSystem(chunk)) sent++;
    });
    this.count('system', sent);
  }

  private heartbeat(): void {
    for (const stream of [...this.streams.all]) stream.write(HEARTBEAT);
  }

  private count(kind: 'live' | 'system', n: number): void {
    if (!n) return;
    this.totals[kind] += n;
    this.metrics.delivered.inc({ kind }, n);
  }

  private onClosed(stream: SseStream, reason: CloseReason): void {
    stream.releaseSlot?.();
    const at = iso(this.ctx.clock.now());
    const registered = this.streams.all.has(stream);
    const vacated = this.streams.remove(stream);
    this.metrics.closed.inc({ reason });
    if (reason === 'slow_consumer') {
      this.totals.slowConsumerCloses++;
      this.metrics.slowConsumers.inc();
      this.ctx.log.warn({ stream: stream.info.id, clientId: stream.info.clientId }, 'sse slow consumer closed');
    }
    this.ctx.bus.publish('client.disconnected', { clientId: stream.info.clientId, transport: TRANSPORT, at, reason });
    if (this.cluster && registered) {
      const { clientId } = stream.info;
      for (const channel of stream.info.channels) {
        if (!this.streams.clientOn(channel, clientId, stream)) this.cluster.leave(channel, clientId);
      }
    } else {
      for (const channel of vacated) this.ctx.bus.publish('channel.vacated', { channel, transport: TRANSPORT, at });
    }
  }

  streamCount(): number {
    return this.streams.size;
  }

  subscriptionCount(): number {
    return this.streams.subscriptionCount();
  }

  queuedBytes(): number {
    let total = 0;
    for (const stream of this.streams.all) total += stream.queuedBytes();
    return total;
  }

  largestQueue(): number {
    let largest = 0;
    for (const stream of this.streams.all) largest = Math.max(largest, stream.queuedBytes());
    return largest;
  }
}

/** The Last-Event-ID header or `?last_event_id=`: null when absent, a HubError when malformed. */
export function parseLastEventId(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (!/^\d{1,15}$/.test(trimmed)) {
    throw new HubError(
      'RELAYKIT_ERR_SSE_BAD_LAST_EVENT_ID',
      `Last-Event-ID "${trimmed.slice(0, 32)}" is not a message id (a non-negative integer)`,
    );
  }
  return Number(trimmed);
}

/** A stream that only says when to come back: the instance is being replaced, its successor serves the retry. */
function retryLater(retryMs: number): Response {
  return new Response(encodeRetry(retryMs), {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
