import { ConfigError } from '../config/load.ts';
import type { HubConfig, PluginEntry } from '../config/schema.ts';
import { HubError } from './errors.ts';
import type { Logger } from './logger.ts';
import { dependentsOf, orderPlugins } from './order.ts';
import type { PluginContext, PluginDefinition, PluginInstance, StopReason } from './plugin.ts';
import type { PluginScope } from './scope.ts';

/** What the host needs from the hub to build a plugin's context. */
export interface HostServices {
  log: Logger;
  stopTimeoutMs(): number;
  /** A fresh scope (scoped bus, metrics, abort signal) for one instance. */
  newScope(): PluginScope;
  /** Builds the context for one instance from its scope. */
  context(name: string, options: Record<string, unknown>, scope: PluginScope): PluginContext;
  /** Runs a third-party plugin's own migrations, if it has any. */
  migrate(definition: PluginDefinition): Promise<void>;
  /** Publishes a plugin lifecycle event. */
  emit(kind: 'enabled' | 'disabled' | 'reconfigured', name: string): void;
}

/** One plugin instance the host runs. */
export interface RunningPlugin {
  readonly name: string;
  readonly definition: PluginDefinition;
  readonly entry: PluginEntry;
  readonly instance: PluginInstance;
  readonly scope: PluginScope;
}

export type ChangeKind = 'enabled' | 'disabled' | 'reconfigured' | 'restarted';
export interface PluginChange {
  name: string;
  kind: ChangeKind;
}

/** A plugin that failed to start; the previous set kept serving. */
export class PluginStartError extends HubError {
  constructor(
    readonly plugin: string,
    cause: unknown,
  ) {
    super(
      'RELAYKIT_ERR_PLUGIN_START_FAILED',
      `plugin "${plugin}" failed to start: ${(cause as Error)?.message ?? cause}`,
      {
        plugin,
      },
    );
  }
}

/**
 * Runs the enabled plugins and moves them from one configuration to the next.
 * `apply` is all-or-nothing: when a new instance fails to start, the ones started
 * for this apply are stopped and the previous instances are brought back.
 */
export class PluginHost {
  private running = new Map<string, RunningPlugin>();
  private order: string[] = [];
  private lastError = new Map<string, string>();

  constructor(private readonly services: HostServices) {}

  /** Running plugins in dependency order. */
  list(): RunningPlugin[] {
    return this.order.map((n) => this.running.get(n)).filter((p): p is RunningPlugin => Boolean(p));
  }

  get(name: string): RunningPlugin | undefined {
    return this.running.get(name);
  }

  errorOf(name: string): string | undefined {
    return this.lastError.get(name);
  }

  /** Plans the changes from the running set to `config` without touching anything; throws ConfigError on dependency problems. */
  plan(
    config: HubConfig,
    catalogue: ReadonlyMap<string, PluginDefinition>,
  ): { order: string[]; changes: PluginChange[] } {
    const enabled = [...catalogue.keys()].filter((n) => config.plugins[n]?.enabled);
    const { order, issues } = orderPlugins(enabled, catalogue);
    if (issues.length) throw new ConfigError(issues);
    const changes: PluginChange[] = [];
    const touched = new Set<string>();
    for (const [name, current] of this.running) {
      const next = config.plugins[name];
      if (!next?.enabled) {
        changes.push({ name, kind: 'disabled' });
        touched.add(name);
      } else if (!sameEntry(current.entry, next) || current.definition !== catalogue.get(name)) {
        changes.push({ name, kind: 'reconfigured' });
        touched.add(name);
      }
    }
    for (const name of order) {
      if (!this.running.has(name)) changes.push({ name, kind: 'enabled' });
    }
    // A plugin whose dependency restarts restarts with it.
    for (const name of dependentsOf(touched, order, catalogue)) {
      if (this.running.has(name)) changes.push({ name, kind: 'restarted' });
    }
    return { order, changes };
  }

  /** Moves to `config`. Returns what changed; throws (and keeps the previous set) when it cannot. */
  async apply(config: HubConfig, catalogue: ReadonlyMap<string, PluginDefinition>): Promise<PluginChange[]> {
    const { order, changes } = this.plan(config, catalogue);
    if (!changes.length) return [];
    const stopping = new Set(changes.filter((c) => c.kind !== 'enabled').map((c) => c.name));
    const starting = order.filter((n) => !this.running.has(n) || stopping.has(n));

    const previous = this.order.filter((n) => stopping.has(n)).map((n) => this.running.get(n) as RunningPlugin);
    for (const plugin of [...previous].reverse()) {
      await this.stopOne(
        plugin,
        changes.find((c) => c.name === plugin.name)?.kind === 'disabled' ? 'disable' : 'reconfigure',
      );
      this.running.delete(plugin.name);
    }

    const started: RunningPlugin[] = [];
    try {
      for (const name of starting) {
        const definition = catalogue.get(name) as PluginDefinition;
        const plugin = await this.startOne(definition, config.plugins[name]);
        started.push(plugin);
        this.running.set(name, plugin);
      }
    } catch (err) {
      await this.rollback(started, previous);
      throw err;
    }
    this.order = order;
    for (const change of changes) {
      this.lastError.delete(change.name);
      if (change.kind !== 'restarted') this.services.emit(change.kind, change.name);
      this.services.log.info({ plugin: change.name, change: change.kind }, `plugin ${change.kind}`);
    }
    return changes;
  }

  /** Stops every plugin, in reverse dependency order. */
  async stopAll(reason: StopReason): Promise<void> {
    for (const plugin of this.list().reverse()) {
      await this.stopOne(plugin, reason);
      this.running.delete(plugin.name);
    }
    this.order = [];
  }

  private async startOne(definition: PluginDefinition, entry: PluginEntry): Promise<RunningPlugin> {
    const scope = this.services.newScope();
    let instance: PluginInstance | undefined;
    try {
      await this.services.migrate(definition);
      instance = await definition.setup(this.services.context(definition.name, entry.options, scope));
      await withTimeout(Promise.resolve(instance.start?.()), this.services.stopTimeoutMs());
      return { name: definition.name, definition, entry, instance, scope };
    } catch (err) {
      this.lastError.set(definition.name, (err as Error)?.message ?? String(err));
      this.services.log.error({ err, plugin: definition.name }, 'plugin failed to start');
      try {
        await withTimeout(Promise.resolve(instance?.stop?.('rollback')), this.services.stopTimeoutMs());
      } catch (stopErr) {
        this.services.log.warn({ err: stopErr, plugin: definition.name }, 'plugin failed to stop after a failed start');
      }
      await scope.release();
      throw err instanceof PluginStartError ? err : new PluginStartError(definition.name, err);
    }
  }

  private async stopOne(plugin: RunningPlugin, reason: StopReason): Promise<void> {
    const timeout = this.services.stopTimeoutMs();
    try {
      await withTimeout(Promise.resolve(plugin.instance.stop?.(reason)), timeout);
    } catch (err) {
      this.services.log.error({ err, plugin: plugin.name }, 'plugin did not stop cleanly');
    } finally {
      await plugin.scope.release();
    }
  }

  private async rollback(started: RunningPlugin[], previous: RunningPlugin[]): Promise<void> {
    for (const plugin of [...started].reverse()) {
      await this.stopOne(plugin, 'rollback');
      this.running.delete(plugin.name);
    }
    for (const old of previous) {
      try {
        const plugin = await this.startOne(old.definition, old.entry);
        this.running.set(old.name, plugin);
      } catch (err) {
        this.lastError.set(old.name, (err as Error).message);
        this.services.log.error({ err, plugin: old.name }, 'plugin could not be restored after a failed apply');
      }
    }
    this.order = this.order.filter((n) => this.running.has(n));
  }
}

function sameEntry(a: PluginEntry, b: PluginEntry): boolean {
  return a.module === b.module && stableJson(a.options) === stableJson(b.options);
}

/** JSON with object keys sorted, to compare option objects by value. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
