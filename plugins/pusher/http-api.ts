import { Elysia, t } from 'elysia';
import { HubError } from '../../src/kernel/errors.ts';
import type { AppState } from './apps.ts';
import type { ChannelCounts } from './cluster.ts';
import { PusherErrors } from './errors.ts';
import { channelKind, payloadOf, validChannelName } from './protocol.ts';
import type { PusherService } from './service.ts';
import { SOCKET_ID } from './session.ts';
import { checkApiSignature } from './signing.ts';

void PusherErrors;

/** Pusher's limit on events in one `batch_events` request. */
const MAX_BATCH = 10;

const Params = t.Object({ appId: t.String({ description: 'The Pusher app id' }) });
const Detail = (summary: string, description?: string) => ({
  summary,
  ...(description ? { description } : {}),
  security: [],
});

/** A triggered event as the HTTP API receives it (`events` and each item of `batch_events`). */
interface EventInput {
  name: string;
  data: unknown;
  channels: string[];
  socketId: string | null;
}

/**
 * Pusher's HTTP API under `/apps/{id}`, signed with the app's key and secret as the server
 * SDKs sign it. Every triggered event is stored as a Relaykit message (one per channel)
 * before the answer, then fanned out by the `message.sent` bus event.
 */
export function pusherRoutes(svc: PusherService) {
  /** The app the request is for, once its signature checks out. */
  const authorize = (appId: string, request: Request, body: string): AppState => {
    const app = svc.apps.get(appId);
    if (!app) throw new HubError('RELAYKIT_ERR_PUSHER_APP_NOT_FOUND', `Unknown app id "${appId}"`);
    const url = new URL(request.url);
    const nowSeconds = Math.floor(svc.ctx.clock.now() / 1000);
    const refused = checkApiSignature(
      { method: request.method, path: url.pathname, query: url.searchParams, body },
      app,
      nowSeconds,
    );
    if (refused) {
      svc.metrics.apiUnauthorized.inc();
      throw new HubError('RELAYKIT_ERR_PUSHER_UNAUTHORIZED', refused);
    }
    return app;
  };

  const trigger = async (app: AppState, events: EventInput[]) => {
    const sends: Promise<unknown>[] = [];
    for (const e of events) {
      for (const channel of e.channels)
        sends.push(svc.trigger('http', app, channel, e.name, payloadOf(e.data), e.socketId));
    }
    await Promise.all(sends);
  };

  return new Elysia({ name: 'relaykit-pusher', detail: { tags: ['pusher'] } })
    .post(
      '/apps/:appId/events',
      async function triggerEvent({ params, request, body }) {
        const raw = textOf(body);
        const app = authorize(params.appId, request, raw);
        const event = parseEvent(app, parseJson(raw), true);
        await trigger(app, [event]);
        const info = infoOf(raw);
        return info.length ? { channels: await channelsInfo(svc, app, event.channels, info) } : {};
      },
      {
        params: Params,
        parse: 'text',
        detail: Detail(
          'Trigger an event on up to 100 channels (Pusher HTTP API)',
          'Signed as Pusher signs requests. Each channel gets a Relaykit message `pusher.{appId}.{channel}` of type `name`.',
        ),
      },
    )
    .post(
      '/apps/:appId/batch_events',
      async function triggerBatch({ params, request, body }) {
        const raw = textOf(body);
        const app = authorize(params.appId, request, raw);
        const batch = (parseJson(raw) as { batch?: unknown }).batch;
        if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH) {
          throw badRequest(`batch must be an array of 1 to ${MAX_BATCH} events`);
        }
        const events = batch.map((item) => parseEvent(app, item, false));
        await trigger(app, events);
        return {};
      },
      { params: Params, parse: 'text', detail: Detail('Trigger up to 10 events at once (Pusher HTTP API)') },
    )
    .get(
      '/apps/:appId/channels',
      async function listChannels({ params, request, query }) {
        const app = authorize(params.appId, request, '');
        const prefix = query.filter_by_prefix ?? '';
        const info = (query.info ?? '').split(',');
        if (info.includes('user_count') && !prefix.startsWith('presence-')) {
          throw badRequest('user_count may only be requested with filter_by_prefix=presence-');
        }
        const counts = await svc.channelCounts(app, prefix);
        const names = [...counts].filter(([, c]) => c.subscriptions > 0).map(([name]) => name);
        return { channels: countsInfo(names.sort(), counts, info) };
      },
      {
        params: Params,
        detail: Detail('Occupied channels, optionally by prefix, with user_count (Pusher HTTP API)'),
      },
    )
    .get(
      '/apps/:appId/channels/:channel',
      async function channelInfo({ params, request, query }) {
        const app = authorize(params.appId, request, '');
        const info = (query.info ?? '').split(',');
        const counts = await svc.channelCount(app, params.channel);
        const shown = countsInfo([params.channel], new Map([[params.channel, counts]]), info);
        return { occupied: counts.subscriptions > 0, ...shown[params.channel] };
      },
      { params: t.Object({ appId: t.String(), channel: t.String() }), detail: Detail('One channel (Pusher HTTP API)') },
    )
    .get(
      '/apps/:appId/channels/:channel/users',
      async function channelUsers({ params, request }) {
        const app = authorize(params.appId, request, '');
        if (channelKind(params.channel) !== 'presence') throw badRequest('Users are only listed for presence channels');
        return { users: (await svc.channelUsers(app, params.channel)).map((id) => ({ id })) };
      },
      {
        params: t.Object({ appId: t.String(), channel: t.String() }),
        detail: Detail('Users of a presence channel (Pusher HTTP API)'),
      },
    )
    .post(
      '/apps/:appId/users/:userId/terminate_connections',
      function terminateConnections({ params, request, body }) {
        const app = authorize(params.appId, request, textOf(body));
        svc.terminate(app, params.userId);
        return {};
      },
      {
        params: t.Object({ appId: t.String(), userId: t.String() }),
        parse: 'text',
        detail: Detail('Close the connections of a signed-in user (Pusher HTTP API)'),
      },
    );
}

function badRequest(message: string): HubError {
  return new HubError('RELAYKIT_ERR_PUSHER_BAD_REQUEST', message);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new HubError('RELAYKIT_ERR_MALFORMED_JSON');
  }
}

/** Validates one event: name, data size, channels (names and count), socket id. */
function parseEvent(app: AppState, value: unknown, many: boolean): EventInput {
  if (!value || typeof value !== 'object') throw badRequest('An event must be a JSON object');
  const e = value as Record<string, unknown>;
  if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > 200) {
    throw badRequest('name must be a string of 1 to 200 characters');
  }
  const channels = many && Array.isArray(e.channels) ? e.channels : [e.channel];
  if (channels.length === 0 || channels.length > app.config.maxChannelsPerEvent) {
    throw badRequest(`An event names 1 to ${app.config.maxChannelsPerEvent} channels`);
  }
  for (const c of channels) {
    if (typeof c !== 'string' || !validChannelName(c)) throw badRequest(`Invalid channel name ${JSON.stringify(c)}`);
  }
  const size = typeof e.data === 'string' ? e.data.length : JSON.stringify(e.data ?? null).length;
  if (size > app.config.maxEventPayloadBytes) {
    throw new HubError(
      'RELAYKIT_ERR_PUSHER_PAYLOAD_TOO_LARGE',
      `Event data is ${size} bytes, more than the ${app.config.maxEventPayloadBytes} allowed`,
    );
  }
  const socketId = e.socket_id ?? null;
  if (socketId !== null && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId))) {
    throw badRequest('socket_id must look like 123.456');
  }
  return { name: e.name, data: e.data ?? null, channels: channels as string[], socketId };
}

/** The raw body (`parse: 'text'`): signatures cover its exact bytes. */
function textOf(body: unknown): string {
  return typeof body === 'string' ? body : '';
}

function infoOf(body: string): string[] {
  try {
    const info = (JSON.parse(body) as { info?: unknown }).info;
    return typeof info === 'string' ? info.split(',') : [];
  } catch {
    return [];
  }
}

type ChannelInfo = Record<string, { user_count?: number; subscription_count?: number }>;

/** `{ name: { user_count?, subscription_count? } }` of the named channels (the cluster's counts on a cluster). */
async function channelsInfo(
  svc: PusherService,
  app: AppState,
  names: readonly string[],
  info: readonly string[],
): Promise<ChannelInfo> {
  if (!info.includes('user_count') && !info.includes('subscription_count')) return countsInfo(names, new Map(), info);
  const counts = await Promise.all(names.map(async (name) => [name, await svc.channelCount(app, name)] as const));
  return countsInfo(names, new Map(counts), info);
}

/** Pusher's channel listing shape from counts. */
function countsInfo(names: readonly string[], counts: ReadonlyMap<string, ChannelCounts>, info: readonly string[]) {
  const out: ChannelInfo = {};
  for (const name of names) {
    const c = counts.get(name);
    out[name] = {
      ...(info.includes('user_count') && channelKind(name) === 'presence' ? { user_count: c?.users ?? 0 } : {}),
      ...(info.includes('subscription_count') ? { subscription_count: c?.subscriptions ?? 0 } : {}),
    };
  }
  return out;
}
