import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { AnyElysia } from 'elysia';
import type { Leadership } from '../cluster/leadership.ts';
import type { ClusterView } from '../cluster/node.ts';
import type { MessageHooks, MessageService } from '../messages/service.ts';
import type { HttpServer, RuntimeAdapter, WebSocketHandlers } from '../runtime/types.ts';
import type { MigrationFolders, Storage } from '../storage/storage.ts';
import type { AsyncApiFragment } from './asyncapi.ts';
import type { AuthService } from './auth.ts';
import type { EventBus } from './bus.ts';
import type { Clock } from './clock.ts';
import type { EventName } from './events.ts';
import type { HealthCheck } from './health.ts';
import type { Logger } from './logger.ts';
import type { PluginMetrics } from './metrics.ts';
import type { Quotas } from './quotas.ts';

/**
 * A plugin: one capability of the hub, declared in the config file and hot-swappable.
 *
 * The kernel validates the plugin's options against `options`, orders plugins by
 * `dependencies`, calls `setup` to create a running instance, and calls the
 * instance's `routes` again at every rebuild of the HTTP app. When the plugin's
 * configuration changes, the old instance is stopped and a new one set up.
 */
export interface PluginDefinition<S extends TObject = TObject> {
  /** The key under `plugins:` in the config file. */
  readonly name: string;
  readonly description?: string;
  /** TypeBox schema of the options, every field with a default and a description. */
  readonly options: S;
  /** Plugins that must run before this one (and restart when they do). */
  readonly dependencies?: readonly string[];
  /** Whether a built-in runs when the config does not mention it (default true). */
  readonly enabledByDefault?: boolean;
  /** Events the plugin publishes and subscribes to, for docs and `GET /admin/plugins`. */
  readonly emits?: readonly EventName[];
  readonly consumes?: readonly EventName[];
  /**
   * Schemas of the payloads of events this plugin defines (a subset of `emits`), for
   * documentation such as the OpenAPI `webhooks` section.
   */
  readonly eventSchemas?: Readonly<Partial<Record<EventName, TSchema>>>;
  /**
   * drizzle-kit migrations for a third-party plugin's own tables, applied before
   * `setup` (tracked per plugin): a folder (SQLite only), or one folder per dialect
   * (`{ sqlite, postgres }`). A hub whose store has no folder here refuses to start
   * the plugin. Built-in plugins share the kernel's journal.
   */
  readonly migrations?: MigrationFolders;
  /** Creates the plugin's long-lived instance. Throwing aborts the apply. */
  setup(ctx: PluginContext<Static<S>>): PluginInstance | Promise<PluginInstance>;
}

/** Declares a plugin with its options typed from its schema. */
export function definePlugin<S extends TObject>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}

/** Why an instance is being stopped. */
export type StopReason = 'reconfigure' | 'disable' | 'shutdown' | 'rollback';

/** A plugin's running instance: the service that owns its state, workers and connections. */
export interface PluginInstance {
  /** Starts workers and timers. The plugin serves once this resolves. */
  start?(): void | Promise<void>;
  /**
   * Stops cleanly: workers finish or hand back in-flight work, open connections are
   * closed with a reconnect hint (WebSocket 1012, end of stream). Bounded by the
   * kernel's shutdown timeout.
   */
  stop?(reason: StopReason): void | Promise<void>;
  /**
   * Returns a named Elysia instance with the plugin's routes, tagged for OpenAPI.
   * Called at every rebuild: build a fresh instance over the long-lived state.
   */
  routes?(): AnyElysia;
  /** WebSocket endpoints, served through the runtime adapter. */
  websockets?(): readonly WebSocketEndpoint[];
  /** Health checks the health plugin runs. */
  health?(): readonly HealthCheck[];
  /** Hooks into message ingest (TTL policies, transactional outbox). */
  messageHooks?: MessageHooks;
  /**
   * The plugin's realtime channels and messages for `/asyncapi.json` (AsyncAPI 3),
   * composed with the other running plugins' at every rebuild.
   */
  asyncapi?(): AsyncApiFragment;
  /**
   * Requests the plugin itself sends to its users' servers, as OpenAPI 3.1 `webhooks`
   * entries (name -> Path Item), merged into `/openapi/json` at every rebuild.
   */
  openapiWebhooks?(): Record<string, unknown>;
}

/** A runtime-neutral WebSocket endpoint (Bun serves it natively, Deno through upgradeWebSocket). */
export interface WebSocketEndpoint<T = unknown> {
  /** Exact path, e.g. `/ws`; or `<parent>/*` to serve any single last segment (`/app/*` serves `/app/my-key`). */
  readonly path: string;
  /** Decides on an upgrade request: the connection's data, or a Response that refuses it. */
  upgrade(request: Request, remoteAddress: string): T | Response | Promise<T | Response>;
  readonly handlers: WebSocketHandlers<T>;
  /**
   * True when the endpoint checks the Origin of browsers itself (its own allow list):
   * the kernel's `server.cors.origins` check of WebSocket upgrades is then skipped.
   */
  readonly checksOrigin?: boolean;
}

/** What the kernel hands a plugin. Subscriptions and metrics made through it end with the instance. */
export interface PluginContext<O = Record<string, unknown>> {
  /** The plugin's name (its key in the config). */
  readonly name: string;
  /** Validated options with defaults filled. */
  readonly options: O;
  /** The hub's store: the plugin's own tables through Drizzle, and explicit transactions. */
  readonly storage: PluginStorage;
  /** The event bus; subscriptions made here are dropped when the instance stops. */
  readonly bus: EventBus;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: PluginMetrics;
  /** The runtime's name and version, and pinned outbound requests (SSRF-checked webhooks). */
  readonly runtime: PluginRuntime;
  /** The HTTP server (WebSocket pub/sub topics). */
  readonly server: HttpServer;
  /** The message core: store, read, acknowledge, retention horizon. */
  readonly messages: MessageService;
  /** Admin-token and JWT checks under the hub's current auth config. */
  readonly auth: AuthService;
  /** Per-caller publishing quotas and the payload size limit: call `admitMessage` before `messages.send`. */
  readonly quotas: Quotas;
  /** A read-only view of the hub: its state, plugins and everyone's health checks. */
  readonly hub: HubView;
  /** This node in the cluster: its id, whether other nodes share the log, and leadership for singletons. */
  readonly cluster: ClusterView;
  /** Aborted when the instance is told to stop. */
  readonly signal: AbortSignal;
  /**
   * Joins the election for a singleton named `name` (`ttl-sweeper`): among the nodes
   * sharing the store, one leads at a time, and another takes over within seconds of
   * its death (`cluster.leadership`). On SQLite this node always leads. Do the
   * singleton's work only while `isLeader()`; close it in `stop` (the kernel also
   * closes what is left when the instance ends).
   */
  leadership(name: string): Promise<Leadership>;
}

/**
 * The store as a plugin sees it: which dialect, a query builder, explicit
 * transactions and the per-dialect table picker (docs/plugins.md shows a plugin with
 * its own tables on both dialects). Opening, migrating and closing stay the hub's.
 */
export type PluginStorage = Pick<Storage, 'dialect' | 'location' | 'file' | 'db' | 'transaction' | 'tables' | 'ping'>;

/** What a plugin may use of the runtime adapter (the server and SQLite driver stay the hub's). */
export type PluginRuntime = Pick<RuntimeAdapter, 'name' | 'version' | 'fetchPinned'>;

export type HubState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface PluginStatus {
  name: string;
  enabled: boolean;
  state: 'running' | 'stopped' | 'failed';
  builtin: boolean;
  description?: string;
  dependencies: string[];
  emits: string[];
  consumes: string[];
  /** Effective options, secrets redacted. */
  options: Record<string, unknown>;
  error?: string;
}

export interface HubView {
  state(): HubState;
  /** Every plugin the hub knows, running or not. */
  plugins(): PluginStatus[];
  /** Health checks of the kernel and every running plugin. */
  healthChecks(): HealthCheck[];
  /** When the hub finished starting (ms), or null. */
  startedAt(): number | null;
  /** The payload schemas the running plugins declare (`eventSchemas`), by event name. */
  eventSchemas(): Record<string, TSchema>;
}
