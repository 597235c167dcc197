import { Elysia, t } from 'elysia';
import type { HubConfig } from '../config/schema.ts';
import type { AuthService } from '../kernel/auth.ts';
import { Integer } from '../kernel/integer.ts';
import { errorResponses } from '../kernel/schemas.ts';
import { authMode } from '../kernel/startup.ts';
import { VERSION } from '../version.ts';

/** The outcome of the last config reload (file change or `POST /admin/reload`). */
export interface ReloadRecord {
  at: string;
  origin: 'file' | 'api';
  outcome: 'applied' | 'rejected';
  /** Plugins enabled, disabled, reconfigured or restarted by it. */
  changes: number;
  /** Why it was refused. */
  error?: string;
}

/** `GET /admin/status`: what an operator wants to see first. */
export interface HubStatus {
  version: string;
  runtime: { name: string; version: string };
  /** This process's node id (`cluster.nodeId`, else host-pid-random). */
  node: string;
  state: string;
  startedAt: string | null;
  uptimeSeconds: number;
  /** The config file read, or null when the defaults apply. */
  configFile: string | null;
  /** Whether the file is watched and re-applied on change (`watch`). */
  watching: boolean;
  lastReload: ReloadRecord | null;
  /** How clients and operators authenticate, as in the ready line. */
  auth: string;
  storage: { dialect: string };
}

/** Remembers the outcome of the last config reload, which `/admin/status` shows. */
export class ReloadLog {
  private record: ReloadRecord | null = null;

  /** `now`: the current time as ISO text (the hub's clock). */
  constructor(private readonly now: () => string) {}

  /** Records a reload from `origin`: applied with `changes` plugin changes, or rejected with `error`. */
  add(origin: ReloadRecord['origin'], changes: number, error?: unknown): void {
    this.record = {
      at: this.now(),
      origin,
      outcome: error === undefined ? 'applied' : 'rejected',
      changes,
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    };
  }

  /** The last reload, or null when none was tried since the start. */
  last(): ReloadRecord | null {
    return this.record;
  }
}

/** What `GET /admin/status` is read from: the running hub's parts, read at every request. */
export interface StatusSources {
  runtime: { name: string; version: string };
  node: string;
  state(): string;
  /** When the hub became ready (clock ms), or null while it starts. */
  startedAt(): number | null;
  /** The hub's clock (ms). */
  now(): number;
  /** The config file read, or null when the defaults apply. */
  configFile(): string | null;
  config(): HubConfig;
  reloads: ReloadLog;
  dialect: string;
}

/** The `GET /admin/status` answer, from the hub's parts as they are now. */
export function hubStatus(from: StatusSources): HubStatus {
  const startedAt = from.startedAt();
  const config = from.config();
  return {
    version: VERSION,
    runtime: { name: from.runtime.name, version: from.runtime.version },
    node: from.node,
    state: from.state(),
    startedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
    uptimeSeconds: startedAt === null ? 0 : Math.max(0, (from.now() - startedAt) / 1000),
    configFile: from.configFile(),
    watching: config.watch,
    lastReload: from.reloads.last(),
    auth: authMode(config),
    storage: { dialect: from.dialect },
  };
}

const Iso = t.String({ format: 'date-time' });

const StatusSchema = t.Object(
  {
    version: t.String(),
    runtime: t.Object({ name: t.String(), version: t.String() }),
    node: t.String({ description: 'This process’s node id' }),
    state: t.String({ description: 'starting, ready, draining or stopped' }),
    startedAt: t.Nullable(Iso),
    uptimeSeconds: t.Number(),
    configFile: t.Nullable(t.String({ description: 'The config file read; null when the defaults apply' })),
    watching: t.Boolean({ description: 'Whether config file changes are applied live' }),
    lastReload: t.Nullable(
      t.Object(
        {
          at: Iso,
          origin: t.Union([t.Literal('file'), t.Literal('api')]),
          outcome: t.Union([t.Literal('applied'), t.Literal('rejected')]),
          changes: Integer(),
          error: t.Optional(t.String()),
        },
        { title: 'ReloadRecord' },
      ),
    ),
    auth: t.String({ description: 'The auth mode, e.g. `realtime jwt required, admin token`' }),
    storage: t.Object({ dialect: t.String() }),
  },
  { title: 'HubStatus' },
);

/** `/admin/status`, behind the admin token. */
export function adminStatusRoutes(auth: AuthService, status: () => HubStatus) {
  return new Elysia({ name: 'relaykit-admin-status', detail: { tags: ['admin'], security: [{ adminToken: [] }] } })
    .onBeforeHandle(function requireAdmin({ request }) {
      auth.requireAdmin(request);
    })
    .get('/admin/status', () => status(), {
      response: { 200: StatusSchema, ...errorResponses(401, 403) },
      detail: {
        operationId: 'getHubStatus',
        summary: 'Version, uptime, node, config file, the last reload and the auth mode',
      },
    });
}
