import PusherServer from 'pusher';
import Pusher from 'pusher-js';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/hub.ts';

export const APP = { id: 'app-1', key: 'app-key', secret: 'app-secret' } as const;
export const OTHER = { id: 'app-2', key: 'other-key', secret: 'other-secret' } as const;

/** A hub with the pusher plugin serving APP and OTHER (each overridable). */
export async function startPusherHub(
  apps: Array<Record<string, unknown>> = [{ ...APP }, { ...OTHER }],
  extra: Record<string, unknown> = {},
  options: TestHubOptions = {},
): Promise<TestHub> {
  const { plugins, ...rest } = (options.overrides ?? {}) as { plugins?: Record<string, unknown> };
  return startTestHub({
    ...options,
    overrides: { ...rest, plugins: { ...plugins, pusher: { enabled: true, apps, ...extra } } },
  });
}

export function portOf(hub: TestHub): number {
  return Number(new URL(hub.url).port);
}

/** The `pusher` server SDK pointed at the hub. */
export function serverSdk(hub: TestHub, app: { id: string; key: string; secret: string } = APP): PusherServer {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(portOf(hub)),
    useTLS: false,
  });
}

/**
 * A pusher-js client as an app would configure it against a self-hosted server, channel
 * authorization signed by the server SDK (as an app's auth endpoint would).
 */
export function pusherClient(
  hub: TestHub,
  opts: { key?: string; user?: { user_id: string; user_info?: Record<string, unknown> }; sdk?: PusherServer } = {},
): Pusher {
  const sdk = opts.sdk ?? serverSdk(hub);
  return new Pusher(opts.key ?? APP.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: portOf(hub),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      transport: 'ajax',
      endpoint: '/unused',
      customHandler: (params, callback) => {
        try {
          callback(null, sdk.authorizeChannel(params.socketId, params.channelName, opts.user));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
    userAuthentication: {
      transport: 'ajax',
      endpoint: '/unused',
      customHandler: (params, callback) => {
        const user = {
          id: opts.user?.user_id ?? 'anonymous',
          ...(opts.user?.user_info ? { info: opts.user.user_info } : {}),
        };
        callback(null, sdk.authenticateUser(params.socketId, user));
      },
    },
  });
}

/** Resolves once the client is connected. */
export function connected(client: Pusher): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connection.state === 'connected') return resolve();
    client.connection.bind('connected', () => resolve());
    client.connection.bind('failed', () => reject(new Error('connection failed')));
  });
}

/** Subscribes and resolves on `pusher:subscription_succeeded` (rejects on the error). */
export function subscribed(client: Pusher, name: string): Promise<ReturnType<Pusher['subscribe']>> {
  return new Promise((resolve, reject) => {
    const channel = client.subscribe(name);
    channel.bind('pusher:subscription_succeeded', () => resolve(channel));
    channel.bind('pusher:subscription_error', (err: unknown) =>
      reject(Object.assign(new Error('subscription error'), { detail: err })),
    );
  });
}

/** The next `event` on a bound channel or client. */
export function next<T = unknown>(
  target: { bind(event: string, cb: (data: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => target.bind(event, (data: T) => resolve(data)));
}
