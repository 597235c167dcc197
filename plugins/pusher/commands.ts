import type { AppState } from './apps.ts';
import {
  type ClientFrame,
  channelKind,
  errorFrame,
  frame,
  PusherCodes,
  parseFrame,
  subscriptionError,
  USER_CHANNEL_PREFIX,
  validChannelName,
} from './protocol.ts';
import type { PusherService } from './service.ts';
import type { Session } from './session.ts';
import { validAuth } from './signing.ts';

/** Pusher's own wording when client events are off for an app. */
const CLIENT_EVENTS_DISABLED =
  'To send client events, you must enable this feature in the Settings page of your dashboard.';

/** Runs one frame of an open session. Never throws: bad input gets a protocol error. */
export async function handleFrame(svc: PusherService, session: Session, text: string): Promise<void> {
  const app = session.app;
  if (!app || session.state !== 'open') return;
  const msg = parseFrame(text);
  if (!msg) {
    svc.sendTo(session, errorFrame(null, 'Malformed frame: expected a JSON object with a string "event"'));
    return;
  }
  const data = objectData(msg.data);
  switch (msg.event) {
    case 'pusher:ping':
      svc.sendTo(session, frame('pusher:pong', {}));
      return;
    case 'pusher:pong':
      return;
    case 'pusher:subscribe':
      await subscribe(svc, app, session, data);
      return;
    case 'pusher:unsubscribe':
      if (typeof data.channel === 'string') svc.leave(app, session, data.channel);
      return;
    case 'pusher:signin':
      signIn(svc, app, session, data);
      return;
  }
  if (msg.event.startsWith('client-')) {
    await clientEvent(svc, app, session, msg);
    return;
  }
  svc.sendTo(session, errorFrame(null, `Unsupported event "${msg.event.slice(0, 64)}"`));
}

/** `data` of a frame as an object: pusher-js sends an object, some clients a string of JSON. */
function objectData(data: unknown): Record<string, unknown> {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Subscribes the session. On a single hub it completes at once; on a cluster it awaits
 * the shared presence (the member list), and the session's next frames wait for it.
 */
async function subscribe(
  svc: PusherService,
  app: AppState,
  session: Session,
  data: Record<string, unknown>,
): Promise<void> {
  const channel = data.channel;
  if (typeof channel !== 'string' || !validChannelName(channel)) {
    const name = typeof channel === 'string' ? channel.slice(0, 200) : '';
    const why = 'Channel names are 1-164 characters of A-Z a-z 0-9 _ - = @ , . ;';
    svc.sendTo(session, subscriptionError(name, 'InvalidChannelName', why, 400));
    return;
  }
  if (session.channels.has(channel)) {
    svc.sendTo(session, frame('pusher_internal:subscription_succeeded', svc.succeededData(app, channel), channel));
    return;
  }
  if (session.channels.size >= app.config.maxSubscriptionsPerConnection) {
    const why = `A connection may subscribe to at most ${app.config.maxSubscriptionsPerConnection} channels`;
    svc.sendTo(session, subscriptionError(channel, 'LimitReached', why, 400));
    return;
  }
  const kind = channelKind(channel);
  if (kind === 'user') {
    if (session.userId === null || channel !== `${USER_CHANNEL_PREFIX}${session.userId}`) {
      svc.sendTo(session, subscriptionError(channel, 'AuthError', 'Sign in as this user first', 403));
      return;
    }
  } else if (kind !== 'public') {
    const channelData = typeof data.channel_data === 'string' ? data.channel_data : undefined;
    // Presence signs `channel_data`; a private channel's auth may sign one too (some backends send it).
    const signed = `${session.socketId}:${channel}${kind === 'presence' || channelData !== undefined ? `:${channelData ?? ''}` : ''}`;
    if (!validAuth(data.auth, app.key, app.secret, signed)) {
      svc.metrics.authFailures.inc();
      svc.sendTo(session, subscriptionError(channel, 'AuthError', 'Invalid signature', 401));
      return;
    }
  }
  let member: { id: string; info: unknown } | null = null;
  if (kind === 'presence') {
    member = presenceMember(svc, app, session, channel, data.channel_data);
    if (!member) return;
  }
  if (!svc.clusterMembers) {
    svc.join(app, session, channel, member);
    svc.sendTo(session, frame('pusher_internal:subscription_succeeded', svc.succeededData(app, channel), channel));
    return;
  }
  const succeeded = await svc.clusterMembers.join(app, session, channel, member);
  if (succeeded) svc.sendTo(session, frame('pusher_internal:subscription_succeeded', succeeded, channel));
}

/** The presence member a signed `channel_data` describes, or null after sending the error. */
function presenceMember(
  svc: PusherService,
  app: AppState,
  session: Session,
  channel: string,
  channelData: unknown,
): { id: string; info: unknown } | null {
  const refuse = (why: string) => {
    svc.sendTo(session, subscriptionError(channel, 'PresenceError', why, 400));
    return null;
  };
  const parsed = objectData(channelData);
  const id = parsed.user_id;
  if ((typeof id !== 'string' || !id) && typeof id !== 'number') return refuse('channel_data needs a user_id');
  const info = parsed.user_info ?? null;
  if (JSON.stringify(info).length > app.config.maxPresenceMemberBytes) {
    return refuse(`user_info is larger than ${app.config.maxPresenceMemberBytes} bytes`);
  }
  const members = app.channels.get(channel)?.members;
  const userId = String(id);
  if (members && !members.has(userId) && members.size >= app.config.maxPresenceMembers) {
    return refuse(`The presence channel has its maximum of ${app.config.maxPresenceMembers} members`);
  }
  return { id: userId, info };
}

function signIn(svc: PusherService, app: AppState, session: Session, data: Record<string, unknown>): void {
  const userData = data.user_data;
  const user = typeof userData === 'string' ? objectData(userData) : {};
  const id = user.id;
  const valid =
    typeof userData === 'string' &&
    (typeof id === 'string' || typeof id === 'number') &&
    String(id).length > 0 &&
    validAuth(data.auth, app.key, app.secret, `${session.socketId}::user::${userData}`);
  if (!valid) {
    svc.metrics.authFailures.inc();
    svc.sendTo(session, errorFrame(PusherCodes.unauthorized, 'Sign-in failed: invalid signature or user_data'));
    svc.close(session, PusherCodes.unauthorized, 'Sign-in failed');
    return;
  }
  svc.signIn(app, session, String(id));
  svc.sendTo(session, frame('pusher:signin_success', { user_data: userData }));
}

async function clientEvent(svc: PusherService, app: AppState, session: Session, msg: ClientFrame): Promise<void> {
  const channel = msg.channel ?? '';
  const refuse = (code: number | null, why: string) => svc.sendTo(session, errorFrame(code, why));
  if (!app.config.enableClientEvents) return refuse(null, CLIENT_EVENTS_DISABLED);
  const kind = channelKind(channel);
  if (kind !== 'private' && kind !== 'presence') {
    return refuse(null, 'Client events are only accepted on private and presence channels');
  }
  if (!session.channels.has(channel)) return refuse(null, `Not subscribed to channel ${channel.slice(0, 164)}`);
  if (msg.event.length > 200) return refuse(null, 'Event names are at most 200 characters');
  const now = svc.ctx.clock.now();
  if (now - session.clientEventsWindow >= 1000) {
    session.clientEventsWindow = now;
    session.clientEvents = 0;
  }
  if (++session.clientEvents > app.config.clientEventsPerSecond) {
    svc.metrics.rateLimited.inc();
    return refuse(PusherCodes.rateLimited, 'Client event rejected due to rate limit');
  }
  const payload = msg.data ?? null;
  if (JSON.stringify(payload).length > app.config.maxEventPayloadBytes) {
    return refuse(null, `Event data is larger than ${app.config.maxEventPayloadBytes} bytes`);
  }
  try {
    await svc.trigger('client', app, channel, msg.event, payload, session.socketId);
    svc.webhooks.clientEvent(app, channel, msg.event, payload, session);
  } catch (err) {
    svc.ctx.log.warn({ err }, 'a client event could not be stored');
    refuse(null, 'The event could not be stored; try again');
  }
}
