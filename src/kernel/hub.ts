import type { AnyElysia } from 'elysia';
import type Memoirist from 'memoirist';
import { keyRoutes } from '../admin/keys.ts';
import { limitsView } from '../admin/limits-view.ts';
import { pluginsView } from '../admin/plugins-view.ts';
import { adminRoutes } from '../admin/routes.ts';
import { refuseWhenShared } from '../admin/shared-config.ts';
import { adminStatusRoutes, type HubStatus, hubStatus, ReloadLog } from '../admin/status.ts';
import { LeadershipFactory } from '../cluster/leadership-open.ts';
import { registerClusterMetrics } from '../cluster/metrics.ts';
import { type ClusterNode, type ClusterView, openClusterNode } from '../cluster/node.ts';
import { resolveNodeId } from '../cluster/node-id.ts';
import { configPath, type PluginCatalogue } from '../config/load.ts';
import type { HubConfig } from '../config/schema.ts';
import { messageRoutes } from '../messages/routes.ts';
import { MessageCore } from '../messages/service.ts';
import type { MessageStore } from '../messages/store.ts';
import type { HttpServer, RuntimeAdapter } from '../runtime/types.ts';
import { openStorage } from '../storage/open.ts';
import type { MigrationFolders, Storage } from '../storage/storage.ts';
import { VERSION } from '../version.ts';
import { buildApp, errorAnswer, routeTemplates } from './app.ts';
import { KernelAuth } from './auth.ts';
import type { EventBus } from './bus.ts';
import { MemoryEventBus } from './bus-memory.ts';
import { type Clock, systemClock, within } from './clock.ts';
import { ConfigSource } from './config-source.ts';
import { HubError } from './errors.ts';
import { Front } from './front.ts';
import type { HealthCheck } from './health.ts';
import { type PluginChange, PluginHost } from './host.ts';
import { exposure, exposureError } from './identity/exposure.ts';
import { checkAuthReload } from './identity/reload-guard.ts';
import { StoredKeys } from './identity/stored-keys.ts';
import { createLogger, type Logger } from './logger.ts';
import { type CoreMetrics, createCoreMetrics, methodLabel } from './metrics.ts';
import type { HubState, HubView, PluginDefinition, PluginStatus, WebSocketEndpoint } from './plugin.ts';
import { Registry } from './prom.ts';
import { Quotas } from './quotas.ts';
import { PluginScope } from './scope.ts';
import { listenError, readyLine } from './startup.ts';

export interface HubOptions {
  /** The built-in plugins (the CLI passes every one in plugins/). */
  plugins: readonly PluginDefinition[];
  /** The config file; default RELAYKIT_CONFIG or ./relaykit.config.yaml. A missing file means defaults. */
  configPath?: string;
  /** Raw config values deep-merged over the file's (embedding, tests). */
  overrides?: Record<string, unknown>;
  /** Environment for the RELAYKIT_* overrides; default process.env. */
  env?: Record<string, string | undefined>;
  runtime: RuntimeAdapter;
  clock?: Clock;
  logger?: Logger;
  /**
   * Your own Elysia routes, served next to the plugins' (embedding Relaykit in an
   * existing app). Called at every rebuild, like a plugin's route factory.
   */
  routes?: () => AnyElysia;
}

/** A running hub: one HTTP server whose app is rebuilt and swapped at every plugin change. */
export class Hub {
  readonly bus: EventBus;
  readonly registry = new Registry();
  readonly metrics: CoreMetrics;
  readonly messages: MessageCore;
  readonly auth: KernelAuth;
  /** API keys created through the admin API. */
  readonly storedKeys: StoredKeys;
  readonly quotas: Quotas;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly host: PluginHost;
  private readonly leaderships: LeadershipFactory;
  private readonly source: ConfigSource;
  private server: HttpServer | null = null;
  private readonly front: Front;
  private state: HubState = 'starting';
  /** Resolves when starting ends (ready, or stopped before that): EventSource requests made meanwhile wait for it. */
  private readonly startSettled: Promise<void>;
  private settleStart: () => void = () => {};
  private startedAt: number | null = null;
  /** False once shutdown stops accepting: requests still arriving on open connections get 503. */
  private accepting = true;
  private applying: Promise<unknown> = Promise.resolve();
  /** The last config reload's outcome, for `/admin/status`. */
  private readonly reloads = new ReloadLog(() => this.now());

  private constructor(
    private readonly options: HubOptions,
    log: Logger,
    private current: HubConfig,
    private readonly storage: Storage,
    store: MessageStore,
    source: ConfigSource,
    /** This node's part of the cluster (a single hub on SQLite). */
    readonly cluster: ClusterNode,
  ) {
    this.source = source;
    this.startSettled = new Promise((resolve) => {
      this.settleStart = resolve;
    });
    this.clock = options.clock ?? systemClock;
    this.log = log;
    this.metrics = createCoreMetrics(this.registry);
    registerClusterMetrics(this.registry, cluster);
    this.bus = new MemoryEventBus(({ event, error }) => {
      this.metrics.busHandlerErrors.inc({ event });
      this.log.error({ err: error, event }, 'event subscriber failed');
    });
    this.storedKeys = new StoredKeys(storage, this.clock);
    this.auth = new KernelAuth(
      () => this.current.auth,
      options.env ?? process.env,
      () => this.clock.now(),
      this.storedKeys,
    );
    this.leaderships = new LeadershipFactory({
      storage,
      url: current.storage.url,
      nodeId: cluster.nodeId,
      settings: () => this.current.cluster.leadership,
      clock: this.clock,
      onError: (name, err) => this.log.warn({ err, leadership: name }, 'leadership round failed'),
    });
    this.quotas = new Quotas(() => this.current.limits, this.clock, this.metrics.rateLimited);
    this.messages = new MessageCore(
      storage,
      store,
      this.bus,
      this.clock,
      this.metrics,
      this.log,
      () => this.host.list().flatMap((p) => (p.instance.messageHooks ? [p.instance.messageHooks] : [])),
      current.storage.groupCommitMaxBatch,
      cluster.live,
      () => this.current.messages.idempotencyWindowSeconds * 1000,
    );
    this.host = new PluginHost({
      log: this.log,
      stopTimeoutMs: () => this.current.server.shutdownTimeoutMs,
      newScope: () => new PluginScope(this.bus, this.registry, (name) => this.leaderships.open(name)),
      migrate: async (def) => {
        const folder = migrationFolder(def.name, def.migrations, storage.dialect);
        if (folder) await storage.migrate(folder, `__relaykit_migrations_${def.name}`);
      },
      context: (name, pluginOptions, scope) => ({
        name,
        options: pluginOptions,
        storage,
        bus: scope.bus,
        log: this.log.child({ plugin: name }),
        clock: this.clock,
        metrics: scope.metrics,
        runtime: {
          name: options.runtime.name,
          version: options.runtime.version,
          fetchPinned: (url, address, init) => options.runtime.fetchPinned(url, address, init),
        },
        server: this.httpServer(),
        messages: this.messages,
        auth: this.auth,
        quotas: this.quotas,
        hub: this.view,
        cluster: this.clusterView,
        signal: scope.abort.signal,
        leadership: (leader) => scope.leadership(leader),
      }),
      emit: (kind, name) => this.bus.publish(`plugin.${kind}`, { name, at: this.now() }),
    });
    // No app until the plugins have started: `rebuild` builds the first one, with their routes.
    this.front = new Front({
      bodyLimits: () => ({
        maxBytes: this.current.server.maxBodyBytes,
        maxDepth: this.current.server.maxJsonDepth,
        timeoutMs: this.current.server.bodyTimeoutMs,
        setTimeout: (fn, ms) => this.clock.setTimeout(fn, ms),
      }),
      acceptingWebSockets: () => this.state === 'ready',
      cors: () => this.current.server.cors,
      starting: () => this.state === 'starting',
      started: (ms) => within(this.clock, this.startSettled, ms),
      accepting: () => this.accepting,
      observe: (request, route, status, seconds, requestId) => {
        const method = methodLabel(request.method);
        const labels = () => ({ method, route, status: String(status) });
        this.metrics.httpDuration.observe(`${method} ${status} ${route}`, labels, seconds);
        if (this.current.log.requests) {
          this.log.info({ requestId, ...labels(), ms: Math.round(seconds * 1e5) / 100 }, 'request');
        }
      },
      // What Elysia names a handler's own throw (not a parse or validation error): the code the hook sees.
      failed: (error, request) => errorAnswer(this.log, 'UNKNOWN', error, request),
    });
  }

  /** Loads the config, opens and migrates the database, starts the server, then the plugins. */
  static async start(options: HubOptions): Promise<Hub> {
    const env = options.env ?? process.env;
    // Third-party plugins import 'relaykit' wherever they live (also from the single binary).
    options.runtime.provideModule?.('relaykit', (await import('../index.ts')) as Record<string, unknown>);
    const source = new ConfigSource(configPath(options.configPath, env), env, options.overrides, options.plugins);
    const initial = await source.read();
    source.commit(initial);
    const { config } = initial;
    const clock = options.clock ?? systemClock;
    const { storage, messages } = await openStorage(config.storage.url, options.runtime, {
      lockTimeoutMs: config.storage.lockTimeoutMs,
      integrityCheckIntervalMs: config.storage.integrityCheckIntervalMs,
      now: () => clock.now(),
      sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    });
    let cluster: ClusterNode;
    const terminal = options.runtime.stdoutIsTerminal?.bind(options.runtime);
    const log = options.logger ?? createLogger(config.log.level, config.log.format, terminal);
    try {
      cluster = await openClusterNode({
        config: config.cluster,
        nodeId: resolveNodeId(config.cluster.nodeId),
        storage,
        store: messages,
        clock,
        log: () => log,
      });
    } catch (err) {
      await storage.close();
      throw err;
    }
    const hub = new Hub(options, log, config, storage, messages, source, cluster);
    try {
      await hub.storedKeys.start();
    } catch (err) {
      await cluster.close();
      await storage.close();
      throw err;
    }
    const exposed = exposure(config.server.host, hub.auth.openMode(), config.auth.open);
    if (exposed.refused) {
      await cluster.close();
      await storage.close();
      throw exposureError(exposed.refused, source.path);
    }
    if (exposed.warning) hub.log.warn({ host: config.server.host }, exposed.warning);
    const bus = hub.bus;
    try {
      // Live before any plugin subscribes: from here every committed message reaches the bus once, in id order.
      await cluster.live.start((message) => bus.publish('message.sent', message));
      await hub.listen();
      await hub.host.apply(config, source.catalogue);
      hub.metrics.pluginsRunning.set(hub.host.list().length);
      hub.rebuild();
    } catch (err) {
      await hub.stop();
      throw err;
    }
    hub.state = 'ready';
    hub.settleStart();
    hub.startedAt = hub.clock.now();

    if (config.watch)
      source.watch(
        (err) => {
          hub.reloads.add('file', 0, err);
          hub.log.error({ err }, 'config reload failed');
        },
        () => hub.reload('file'),
      );
    hub.log.info(
      readyLine({
        url: hub.listenUrl,
        access: hub.auth.openMode() ? 'open' : 'token',
        configFile: initial.found ? source.path : null,
        config,
        plugins: hub.host.list().map((p) => p.name),
      }),
      'relaykit ready',
    );
    return hub;
  }

  /** The base URL clients reach the hub at. */
  get url(): string {
    const server = this.httpServer();
    const host = ['0.0.0.0', '::'].includes(server.hostname) ? '127.0.0.1' : server.hostname;
    return `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  }

  /** The address the server really listens on (`http://0.0.0.0:3000` when on every interface). */
  get listenUrl(): string {
    const { hostname, port } = this.httpServer();
    return `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
  }

  get port(): number {
    return this.httpServer().port;
  }

  get config(): HubConfig {
    return this.current;
  }

  /** The read-only view plugins get. */
  readonly view: HubView = {
    state: () => this.state,
    startedAt: () => this.startedAt,
    plugins: () => this.pluginStatuses(),
    healthChecks: () => [
      this.databaseCheck,
      ...this.cluster.healthChecks(),
      ...this.host.list().flatMap((p) => p.instance.health?.() ?? []),
    ],
    eventSchemas: () => Object.assign({}, ...this.host.list().map((p) => p.definition.eventSchemas ?? {})),
  };

  /** What plugins see of the cluster (`ctx.cluster`). */
  private get clusterView(): ClusterView {
    const { nodeId, clustered, presence } = this.cluster;
    return { nodeId, clustered, presence };
  }

  /** Re-reads the config file and applies it. */
  async reload(origin: 'file' | 'api' = 'api'): Promise<PluginChange[]> {
    return this.serialize(async () => {
      try {
        const next = await this.source.read();
        try {
          checkAuthReload(this.current, next, this.source, this.log);
        } catch (err) {
          this.metrics.pluginReloads.inc({ outcome: 'rejected' });
          throw err;
        }
        const changes = await this.applyConfig(next.config, next.catalogue, origin);
        this.source.commit(next);
        this.reloads.add(origin, changes.length);
        return changes;
      } catch (err) {
        this.reloads.add(origin, 0, err);
        throw err;
      }
    });
  }

  /** `GET /admin/status`. */
  status(): HubStatus {
    return hubStatus({
      runtime: this.options.runtime,
      node: this.cluster.nodeId,
      state: () => this.state,
      startedAt: () => this.startedAt,
      now: () => this.clock.now(),
      configFile: () => (this.source.fromFile ? this.source.path : null),
      config: () => this.current,
      reloads: this.reloads,
      dialect: this.storage.dialect,
    });
  }

  /** Enables, disables or reconfigures one plugin (options merge into the current ones). */
  async patchPlugin(
    name: string,
    patch: { enabled?: boolean; options?: Record<string, unknown> },
  ): Promise<PluginChange[]> {
    return this.serialize(async () => {
      if (!this.source.catalogue.has(name))
        throw new HubError('RELAYKIT_ERR_PLUGIN_NOT_FOUND', `No plugin is named "${name}"`);
      await refuseWhenShared(this.cluster, name);
      const next = this.source.patched(name, patch);
      const changes = await this.applyConfig(next.config, next.catalogue, 'api');
      this.source.commit(next);
      return changes;
    });
  }

  /** Readiness turns 503; the server keeps serving until `stop`. */
  drain(): void {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'draining';
  }

  /** Graceful shutdown: stop accepting, finish in-flight requests, stop plugins, close the database. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.settleStart();
    const wasServing = this.state !== 'starting';
    this.drain();
    this.source.close();
    const timeout = this.current.server.shutdownTimeoutMs;
    if (wasServing && this.current.server.drainDelayMs > 0) await sleep(this.current.server.drainDelayMs);
    // Stop accepting; requests already being handled finish (bounded), idle keep-alive sockets don't count.
    this.accepting = false;
    void this.server?.stop(false);
    const deadline = Date.now() + timeout;
    while (this.front.inflight > 0 && Date.now() < deadline) await sleep(10);
    await this.host.stopAll('shutdown');
    await this.messages.flush();
    await this.storedKeys.stop();
    await this.server?.stop(true);
    await this.cluster.close();
    await this.bus.close();
    await this.storage.close();
    this.state = 'stopped';
    this.log.info('relaykit stopped');
  }

  private async applyConfig(
    config: HubConfig,
    catalogue: PluginCatalogue,
    origin: 'file' | 'api',
  ): Promise<PluginChange[]> {
    const started = performance.now();
    const release = this.messages.hold();
    try {
      const changes = await this.host.apply(config, catalogue);
      this.current = config;
      if (changes.length) this.rebuild();
      this.metrics.pluginReloads.inc({ outcome: 'applied' });
      this.log.info({ origin, changes }, changes.length ? 'configuration applied' : 'configuration unchanged');
      return changes;
    } catch (err) {
      // The host restored the previous set; the routes may reference restored instances.
      this.rebuild();
      this.metrics.pluginReloads.inc({ outcome: 'rejected' });
      this.log.error({ err, origin }, 'configuration rejected; the previous plugins keep serving');
      throw err;
    } finally {
      release();
      this.metrics.pluginReloadDuration.observe((performance.now() - started) / 1000);
      this.metrics.pluginsRunning.set(this.host.list().length);
    }
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.applying.then(task, task);
    this.applying = run.catch(() => {});
    return run;
  }

  /** Builds a new app from the running plugins and swaps it in. */
  private rebuild(): void {
    const plugins = this.host.list();
    const app = buildApp({
      version: VERSION,
      log: this.log,
      tags: plugins.map((p) => ({ name: p.name, description: p.definition.description })),
      asyncapi: () => plugins.flatMap((p) => (p.instance.asyncapi ? [p.instance.asyncapi()] : [])),
      webhooks: () => Object.assign({}, ...plugins.map((p) => p.instance.openapiWebhooks?.() ?? {})),
      routes: [
        messageRoutes(this.messages, this.auth, this.quotas, () => this.current.limits.maxPageBytes),
        keyRoutes(this.auth, this.storedKeys),
        adminRoutes({
          auth: this.auth,
          plugins: () => this.pluginStatuses(),
          patch: (name, patch) => this.patchPlugin(name, patch),
          reload: () => this.reload('api'),
          limits: () =>
            limitsView({
              config: this.current,
              trackedCallers: this.quotas.tracked,
              openConnections: this.quotas.connections.open,
              rateLimited: this.metrics.rateLimited,
            }),
        }),
        adminStatusRoutes(this.auth, () => this.status()),
        ...plugins.flatMap((p) => (p.instance.routes ? [p.instance.routes()] : [])),
        ...(this.options.routes ? [this.options.routes()] : []),
      ],
    });
    const websockets = new Map<string, WebSocketEndpoint>();
    for (const p of plugins) for (const ws of p.instance.websockets?.() ?? []) websockets.set(ws.path, ws);
    let templates: Memoirist<string> | null = null;
    this.front.swap(app, () => (templates ??= routeTemplates(app)), websockets);
  }

  private async listen(): Promise<void> {
    const { server } = this.current;
    try {
      this.server = await this.options.runtime.serve({
        hostname: server.host,
        port: server.port,
        // The runtime refuses far larger bodies outright; guardBody answers the JSON 413 below that.
        maxRequestBodySize: server.maxBodyBytes * 2 + 65_536,
        websocket: { maxPayloadLength: server.maxWebSocketFrameBytes, backpressureLimit: 64 * 1024 * 1024 },
        fetch: this.front.handle,
      });
      const http = this.server;
      // The runtime's own router (Bun) serves the app's GET routes; the rest goes through `fetch`.
      if (http.nativeRoutes) this.front.useNativeRouter((routes) => http.nativeRoutes?.(routes));
    } catch (err) {
      throw listenError(err, server.host, server.port);
    }
  }

  private httpServer(): HttpServer {
    if (!this.server) throw new Error('the hub is not listening yet');
    return this.server;
  }

  private pluginStatuses(): PluginStatus[] {
    return pluginsView({
      catalogue: this.source.catalogue,
      config: this.current,
      running: (name) => this.host.get(name) !== undefined,
      errorOf: (name) => this.host.errorOf(name),
    });
  }

  private readonly databaseCheck: HealthCheck = {
    name: 'database:responseTime',
    componentType: 'datastore',
    affectsReadiness: true,
    check: async () => {
      const start = performance.now();
      await this.storage.ping();
      return { status: 'pass', observedValue: Number((performance.now() - start).toFixed(3)), observedUnit: 'ms' };
    },
  };

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** The folder of a third-party plugin's migrations for `dialect`, or null when it has none at all. */
function migrationFolder(plugin: string, migrations: MigrationFolders | undefined, dialect: Storage['dialect']) {
  if (migrations === undefined) return null;
  const folder = typeof migrations === 'string' ? (dialect === 'sqlite' ? migrations : undefined) : migrations[dialect];
  if (!folder) throw new Error(`plugin "${plugin}" has no ${dialect} migrations: it cannot run on this store`);
  return folder;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
