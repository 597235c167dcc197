import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadConfig, mergePatch, type PluginCatalogue, resolveConfig } from '../config/load.ts';
import type { HubConfig } from '../config/schema.ts';
import type { PluginDefinition } from './plugin.ts';

/** A configuration read from its sources, not yet applied. */
export interface ConfigSnapshot {
  config: HubConfig;
  catalogue: PluginCatalogue;
  /** The raw values it was resolved from (file, overrides, env, admin patches). */
  raw: Record<string, unknown>;
  found: boolean;
  /** The file exists but holds no settings. */
  empty: boolean;
}

/**
 * Where the hub's configuration comes from: the file, embedder overrides, the
 * RELAYKIT_* environment and admin patches (kept in memory until the next file
 * reload, which starts again from the file). Nothing here is applied: the hub
 * commits a snapshot only after its plugins accepted it.
 */
export class ConfigSource {
  private committed: ConfigSnapshot | null = null;
  private watcher: FSWatcher | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private readonly builtins: PluginCatalogue;

  constructor(
    readonly path: string,
    private readonly env: Record<string, string | undefined>,
    private readonly overrides: Record<string, unknown> | undefined,
    builtins: readonly PluginDefinition[],
  ) {
    this.builtins = new Map(builtins.map((p) => [p.name, p]));
  }

  /** The plugins of the last committed snapshot. */
  get catalogue(): PluginCatalogue {
    return this.committed?.catalogue ?? this.builtins;
  }

  /** Whether the committed configuration was read from an existing file. */
  get fromFile(): boolean {
    return this.committed?.found ?? false;
  }

  /** Reads the file and resolves it against the built-ins and the modules it names. */
  async read(): Promise<ConfigSnapshot> {
    return loadConfig(this.path, this.env, this.builtins, this.overrides);
  }

  /** The committed snapshot with one plugin patched (RFC 7396 merge of its options). */
  patched(name: string, patch: { enabled?: boolean; options?: Record<string, unknown> }): ConfigSnapshot {
    const base = this.current();
    const plugins = { ...((base.raw.plugins as Record<string, unknown>) ?? {}) };
    const entry = mergePatch((plugins[name] as Record<string, unknown>) ?? {}, patch.options ?? {});
    if (patch.enabled !== undefined) entry.enabled = patch.enabled;
    plugins[name] = entry;
    const raw = { ...base.raw, plugins };
    return { ...base, raw, config: resolveConfig(raw, base.catalogue) };
  }

  commit(snapshot: ConfigSnapshot): void {
    this.committed = snapshot;
  }

  /** Watches the file (through its folder, so editors that replace it are seen), debounced. */
  watch(onError: (err: unknown) => void, onChange: () => Promise<unknown>, debounceMs = 250): void {
    const file = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, changed) => {
        if (changed !== null && changed !== file) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.debounce = null;
          onChange().catch(onError);
        }, debounceMs);
      });
    } catch (err) {
      onError(err);
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
  }

  private current(): ConfigSnapshot {
    if (!this.committed) throw new Error('no configuration has been applied yet');
    return this.committed;
  }
}
