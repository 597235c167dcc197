import type { PluginCatalogue } from '../config/load.ts';
import type { HubConfig } from '../config/schema.ts';
import type { PluginStatus } from '../kernel/plugin.ts';
import { redact } from '../kernel/redact.ts';

/** What `GET /admin/plugins` (and `ctx.hub.plugins()`) reads from the running hub. */
export interface PluginsSources {
  /** Every plugin the hub knows: built-in and those the config file names. */
  catalogue: PluginCatalogue;
  config: HubConfig;
  /** Whether the plugin is running now. */
  running(name: string): boolean;
  /** Why the plugin failed to start, if it did. */
  errorOf(name: string): string | undefined;
}

/**
 * Every known plugin with its state, metadata and options (secrets redacted). The
 * options are redacted when first read: most readers (the health plugin's checks, at
 * every run and at start) look at names and states only, and walking every plugin's
 * options schema was a few % of a cold start.
 */
export function pluginsView(sources: PluginsSources): PluginStatus[] {
  return [...sources.catalogue].map(([name, def]) => {
    const running = sources.running(name);
    const entry = sources.config.plugins[name];
    const error = sources.errorOf(name);
    let options: Record<string, unknown> | undefined;
    return {
      name,
      enabled: Boolean(entry?.enabled),
      state: running ? 'running' : error ? 'failed' : 'stopped',
      builtin: !entry?.module,
      ...(def.description ? { description: def.description } : {}),
      dependencies: [...(def.dependencies ?? [])],
      emits: [...(def.emits ?? [])],
      consumes: [...(def.consumes ?? [])],
      get options() {
        options ??= redact(def.options, entry?.options ?? {}) as Record<string, unknown>;
        return options;
      },
      ...(error ? { error } : {}),
    };
  });
}
