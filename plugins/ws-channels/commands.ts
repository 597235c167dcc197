import { isSystemChannel, systemEventPattern } from '../../src/kernel/access.ts';
import { matchesPattern } from '../../src/kernel/bus.ts';
import { HubError } from '../../src/kernel/errors.ts';
import { NAME_PATTERN } from '../../src/messages/routes.ts';
import { catchUp } from './catchup.ts';
import { authenticate } from './handshake.ts';
import {
  type ClientFrame,
  CloseCodes,
  errorFrame,
  type ProtocolError,
  parseFrame,
  type RequestIdValue,
  reply,
} from './protocol.ts';
import type { WsService } from './service.ts';
import type { Session } from './session.ts';

const CHANNEL_NAME = new RegExp(NAME_PATTERN);
const SYSTEM_PATTERN = /^[A-Za-z0-9_.*-]+$/;

type Frame<K extends ClientFrame['type']> = Extract<ClientFrame, { type: K }>;

/**
 * Handles one text frame. `ping` is answered at once; everything else runs in the
 * session's queue, in arrival order (a `subscribe` that replays holds back the
 * frames after it, so replies keep the order of requests).
 */
export function handleFrame(svc: WsService, session: Session, data: string | Uint8Array): void {
  const first = ++session.framesReceived === 1;
  if (typeof data !== 'string') {
    if (session.state === 'authenticating' && first) closeUnauthenticated(svc, session);
    else
      sendError(svc, session, undefined, {
        code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME',
        message: 'Binary frames are not supported: send JSON text frames',
      });
    return;
  }
  const parsed = parseFrame(data);
  // Frames pipelined after a pending `auth` wait in the queue behind it.
  if (session.state === 'authenticating' && first && !(parsed.ok && parsed.frame.type === 'auth')) {
    closeUnauthenticated(svc, session);
    return;
  }
  if (!parsed.ok) {
    sendError(svc, session, parsed.id, parsed.error);
    return;
  }
  const { frame } = parsed;
  if (frame.type === 'ping') {
    svc.sendTo(session, reply({ type: 'pong', server_time: svc.now() }, frame.id));
    return;
  }
  session.queue = session.queue
    .then(() => (session.state === 'closed' ? undefined : run(svc, session, frame, first)))
    .catch((err: unknown) => {
      if (err instanceof HubError && err.status < 500) return sendError(svc, session, frame.id, err);
      svc.ctx.log.error({ err, frame: frame.type }, 'ws frame failed');
      sendError(svc, session, frame.id, new HubError('RELAYKIT_ERR_INTERNAL'));
    });
}

function run(svc: WsService, session: Session, frame: ClientFrame, first: boolean): void | Promise<void> {
  switch (frame.type) {
    case 'auth':
      return auth(svc, session, frame, first);
    case 'subscribe':
      return subscribe(svc, session, frame);
    case 'unsubscribe':
      return unsubscribe(svc, session, frame);
    case 'get_subscriptions':
      svc.sendTo(session, reply({ type: 'subscriptions', channels: session.channels() }, frame.id));
      return;
    case 'publish':
      return publish(svc, session, frame);
    case 'ping':
      return;
  }
}

function closeUnauthenticated(svc: WsService, session: Session): void {
  svc.close(session, CloseCodes.unauthorized, 'authentication required: send {"type":"auth","token":"..."} first');
}

/** `auth` as the first frame: required when the URL had no token, or to leave anonymity. */
async function auth(svc: WsService, session: Session, frame: Frame<'auth'>, first: boolean): Promise<void> {
  const anonymous = session.state === 'open' && session.access?.via === 'anonymous';
  if (!first || (session.state !== 'authenticating' && !anonymous)) {
    return sendError(svc, session, frame.id, {
      code: 'RELAYKIT_ERR_WS_ALREADY_AUTHENTICATED',
      message: '`auth` is only accepted as the first frame of a connection that had no token in its URL',
    });
  }
  const { handshake } = session;
  const requestedId = handshake.kind === 'refused' ? null : handshake.requestedId;
  const result = await authenticate(frame.token, requestedId, svc.ctx.auth, svc.options);
  if (session.state === 'closed') return;
  if (result.kind !== 'ready') {
    svc.close(session, result.kind === 'refused' ? result.code : CloseCodes.unauthorized, refusedReason(result));
    return;
  }
  // An anonymous client keeps the id it connected with when the token may act as it.
  const keep = anonymous && result.requestedId === null && result.access.canActAs(session.clientId);
  svc.admit(session, keep ? { ...result, clientId: session.clientId } : result, frame.id);
}

function refusedReason(result: Awaited<ReturnType<typeof authenticate>>): string {
  return result.kind === 'refused' ? result.reason : 'authentication failed';
}

/** Checks one channel name against the config, the name rules and the client's rights. */
function channelProblem(svc: WsService, session: Session, channel: string): ProtocolError | null {
  const access = session.access;
  if (isSystemChannel(channel)) {
    if (!SYSTEM_PATTERN.test(systemEventPattern(channel))) {
      return { code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID', message: `"${channel}" is not a valid system channel` };
    }
    if (!access?.system) {
      return {
        code: 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN',
        message: `System channels need the admin token or a token with "system": true (${channel})`,
      };
    }
    return null;
  }
  if (channel.length > svc.options.maxChannelNameLength || !CHANNEL_NAME.test(channel)) {
    return {
      code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID',
      message: `"${channel.slice(0, 64)}" is not a valid channel name (1-${svc.options.maxChannelNameLength} characters of A-Z a-z 0-9 _ . : @ / -, starting with a letter or digit)`,
    };
  }
  if (!svc.options.channels.some((p) => matchesPattern(p, channel))) {
    return { code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID', message: `No channel "${channel}" exists on this hub` };
  }
  if (!access?.canSubscribe(channel)) {
    return { code: 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN', message: `The token does not allow channel "${channel}"` };
  }
  return null;
}

async function subscribe(svc: WsService, session: Session, frame: Frame<'subscribe'>): Promise<void> {
  const requested = [...new Set(frame.channels)];
  const problems = requested.flatMap((c) => {
    const problem = channelProblem(svc, session, c);
    return problem ? [{ channel: c, ...problem }] : [];
  });
  if (problems.length) {
    return sendError(svc, session, frame.id, { ...problems[0], details: problems.slice(0, 20) });
  }
  const fresh = requested.filter((c) => !session.subscribedTo(c));
  if (session.subscriptionCount() + fresh.length > svc.options.maxSubscriptions) {
    return sendError(svc, session, frame.id, {
      code: 'RELAYKIT_ERR_WS_TOO_MANY_SUBSCRIPTIONS',
      message: `A connection may hold at most ${svc.options.maxSubscriptions} subscriptions`,
    });
  }
  const joins: Promise<void>[] = [];
  for (const channel of fresh) {
    const join = svc.enterChannel(session, channel);
    if (join) joins.push(join);
  }
  // On a cluster the reply waits for the shared presence: once subscribed, every node
  // lists the client in the channel. Without since, the subscription starts at the reply.
  if (joins.length) {
    await Promise.all(joins);
    if (session.state !== 'open') return;
  }
  const system = fresh.filter(isSystemChannel);
  const replayable = fresh.filter((c) => !isSystemChannel(c));
  // System channels carry live hub events only: there is nothing to replay.
  svc.goLive(session, system, false);
  if (frame.since === undefined) {
    svc.goLive(session, replayable, false);
    svc.sendTo(session, reply({ type: 'subscribed', channels: requested }, frame.id));
    return;
  }
  const since = frame.since;
  const { messages } = svc.ctx;
  // Older than retention, or newer than the log (a different database): some events cannot be replayed.
  const recovered = since >= (await messages.horizon()) && since <= svc.busSeenId;
  const inbox = !session.inboxResumed;
  if (inbox) svc.leaveInbox(session);
  const started = performance.now();
  const result = await catchUp(svc.replayHost, session, replayable, since, inbox);
  if (session.state !== 'open') return;
  if (inbox) {
    session.inboxResumed = true;
    session.inboxFrom = Math.min(session.inboxFrom, since);
  }
  svc.metrics.replayDuration.observe((performance.now() - started) / 1000);
  svc.sendTo(
    session,
    reply({ type: 'subscribed', channels: requested, since, recovered, replayed: result.replayed }, frame.id),
  );
}

function unsubscribe(svc: WsService, session: Session, frame: Frame<'unsubscribe'>): void {
  const channels = [...new Set(frame.channels)];
  for (const channel of channels) if (session.subscribedTo(channel)) svc.leaveChannel(session, channel);
  svc.sendTo(session, reply({ type: 'unsubscribed', channels }, frame.id));
}

async function publish(svc: WsService, session: Session, frame: Frame<'publish'>): Promise<void> {
  const { channel } = frame;
  if (isSystemChannel(channel)) {
    return sendError(svc, session, frame.id, {
      code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID',
      message: 'System channels are read-only',
    });
  }
  const problem = channelProblem(svc, session, channel);
  if (problem && problem.code !== 'RELAYKIT_ERR_WS_CHANNEL_FORBIDDEN')
    return sendError(svc, session, frame.id, problem);
  if (!session.access?.canPublish(channel)) {
    return sendError(svc, session, frame.id, {
      code: 'RELAYKIT_ERR_WS_PUBLISH_FORBIDDEN',
      message: `This client may not publish on "${channel}"`,
    });
  }
  if (frame.to !== undefined && !session.access.canSendTo(frame.to)) {
    return sendError(svc, session, frame.id, {
      code: 'RELAYKIT_ERR_WS_PUBLISH_FORBIDDEN',
      message: `This client may not send direct messages to "${frame.to}"`,
    });
  }
  const payload = frame.payload ?? null;
  svc.ctx.quotas.admitMessage(session.access, session.remoteAddress, payload);
  const message = await svc.ctx.messages.send({
    from: session.clientId,
    channel,
    ...(frame.to === undefined ? {} : { to: frame.to }),
    type: frame.event ?? 'message',
    payload,
  });
  svc.sendTo(session, reply({ type: 'published', channel, message_id: message.id }, frame.id));
}

function sendError(
  svc: WsService,
  session: Session,
  id: RequestIdValue | undefined,
  error: ProtocolError | HubError,
): void {
  svc.metrics.errors.inc({ code: error.code });
  svc.sendTo(session, errorFrame(error, id));
}
