import type { MemberView } from './cluster-members.ts';
import type { PusherAppConfig, PusherConfig } from './options.ts';
import type { Session } from './session.ts';

/** Who is in a presence channel: one entry per user id, however many connections it has. */
export interface Member {
  info: unknown;
  /** The user's connections subscribed to the channel. */
  sessions: number;
}

/** A channel of one app with subscribers on this hub. */
export interface ChannelState {
  readonly sessions: Set<Session>;
  /** Presence channels only: the members with connections on this node. */
  readonly members: Map<string, Member> | null;
  /** On a cluster, presence channels only: every node's members as this node's subscribers were told. */
  readonly view: MemberView | null;
}

/** One app's live state: its connections, channels and signed-in users. Apps share nothing. */
export class AppState {
  readonly sessions = new Set<Session>();
  readonly channels = new Map<string, ChannelState>();
  readonly users = new Map<string, Set<Session>>();

  constructor(
    readonly config: PusherAppConfig,
    /** The secret, from `secret` or the environment variable named by `secretEnv`. */
    readonly secret: string,
  ) {}

  get id(): string {
    return this.config.id;
  }

  get key(): string {
    return this.config.key;
  }
}

/**
 * Resolves the configured apps, reading secrets from the environment where asked. Fails
 * fast, naming the field, on duplicate ids or keys and on a missing secret.
 */
export function resolveApps(options: PusherConfig, env: Record<string, string | undefined>): AppState[] {
  const ids = new Set<string>();
  const keys = new Set<string>();
  return options.apps.map((app, i) => {
    const where = `plugins.pusher.apps[${i}]`;
    if (ids.has(app.id)) throw new Error(`${where}.id: the app id "${app.id}" is used twice`);
    if (keys.has(app.key)) throw new Error(`${where}.key: the app key "${app.key}" is used twice`);
    ids.add(app.id);
    keys.add(app.key);
    let secret = app.secret;
    if (!secret && app.secretEnv) secret = env[app.secretEnv] ?? '';
    if (!secret) {
      throw new Error(
        app.secretEnv
          ? `${where}.secretEnv: the environment variable ${app.secretEnv} is not set`
          : `${where}.secret: set the app's secret, or secretEnv to the environment variable holding it`,
      );
    }
    return new AppState(app, secret);
  });
}
