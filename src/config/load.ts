import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { PluginDefinition } from '../kernel/plugin.ts';
import { type ConfigIssue, formatIssue, issuesFromErrors } from './errors.ts';
import { configFileSchema, type HubConfig, type PluginEntry } from './schema.ts';
import { substituteEnv } from './substitute.ts';

export const DEFAULT_CONFIG_FILE = 'relaykit.config.yaml';

/** A configuration that could not be used; `issues` name each field and what was wrong. */
export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}invalid configuration\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A configuration problem that fits one line (a missing or unreadable file). */
export class ConfigFileError extends ConfigError {
  constructor(file: string, problem: string) {
    super([{ path: '', message: problem }], file);
    this.message = `${file}: ${problem}`;
    this.name = 'ConfigFileError';
  }
}

/** Where the config file path came from; only the default may name a file that does not exist. */
export type ConfigOrigin = '--config' | 'RELAYKIT_CONFIG' | 'default';

/** `--config`, then RELAYKIT_CONFIG, then ./relaykit.config.yaml; an empty value counts as unset. */
export function locateConfig(
  explicit: string | undefined,
  env: Record<string, string | undefined>,
): { path: string; origin: ConfigOrigin } {
  if (explicit) return { path: resolve(explicit), origin: '--config' };
  if (env.RELAYKIT_CONFIG) return { path: resolve(env.RELAYKIT_CONFIG), origin: 'RELAYKIT_CONFIG' };
  return { path: resolve(DEFAULT_CONFIG_FILE), origin: 'default' };
}

/** Where the config file is: `--config`, then RELAYKIT_CONFIG, then ./relaykit.config.yaml. */
export function configPath(explicit: string | undefined, env: Record<string, string | undefined>): string {
  return locateConfig(explicit, env).path;
}

/**
 * Throws a one-line ConfigFileError when a config file named by `--config` or
 * RELAYKIT_CONFIG does not exist, or when any config path is not a readable file.
 */
export function checkConfigFile(location: { path: string; origin: ConfigOrigin }): void {
  const kind = fileKind(location.path);
  if (kind === 'missing' && location.origin !== 'default') {
    throw new ConfigFileError(location.path, `config file not found (named by ${location.origin})`);
  }
  if (kind === 'missing') return;
  if (kind === 'directory') throw new ConfigFileError(location.path, 'is a directory, not a config file');
  try {
    readFileSync(location.path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(
      location.path,
      `cannot read the config file (${(err as { code?: string }).code ?? (err as Error).message})`,
    );
  }
}

function fileKind(path: string): 'missing' | 'directory' | 'file' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR') return 'missing';
    throw new ConfigFileError(path, `cannot read the config file (${(err as { code?: string }).code})`);
  }
}

/** Reads and parses a YAML config file. A missing file is an empty config; a directory or unreadable file is an error. */
export async function readConfigFile(path: string): Promise<{ raw: Record<string, unknown>; found: boolean }> {
  const kind = fileKind(path);
  if (kind === 'missing') return { raw: {}, found: false };
  if (kind === 'directory') throw new ConfigFileError(path, 'is a directory, not a config file');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(
      path,
      `cannot read the config file (${(err as { code?: string }).code ?? (err as Error).message})`,
    );
  }
  return { raw: await parseConfigText(text, path), found: true };
}

/** Parses a config file's text. The YAML parser loads with the first file: a hub started without one never reads it. */
export async function parseConfigText(text: string, file?: string): Promise<Record<string, unknown>> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ''}${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
      file,
    );
  }
  const value = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([{ path: '', message: 'the file must hold a YAML mapping (key: value pairs)' }], file);
  }
  return value as Record<string, unknown>;
}

const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: [string, string]; numeric?: boolean }> = [
  { env: 'RELAYKIT_PORT', path: ['server', 'port'], numeric: true },
  { env: 'RELAYKIT_HOST', path: ['server', 'host'] },
  { env: 'RELAYKIT_STORAGE_URL', path: ['storage', 'url'] },
  { env: 'RELAYKIT_ADMIN_TOKEN', path: ['auth', 'adminToken'] },
  { env: 'RELAYKIT_CLUSTER_NODE_ID', path: ['cluster', 'nodeId'] },
];

/** Applies the deployment-basics environment variables over the file's values. */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const { env: name, path, numeric } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const [section, key] = path;
    const current = out[section];
    const target = (typeof current === 'object' && current !== null ? current : {}) as Record<string, unknown>;
    target[key] = numeric && /^\d+$/.test(value) ? Number(value) : value;
    out[section] = target;
  }
  return out;
}

/** The plugins the hub can load: built-ins plus third-party modules named in the config. */
export type PluginCatalogue = ReadonlyMap<string, PluginDefinition>;

/** Imports the third-party plugin modules a config names, relative to the config file. */
export async function loadPluginModules(
  raw: Record<string, unknown>,
  baseDir: string,
  builtins: PluginCatalogue,
): Promise<Map<string, PluginDefinition>> {
  const catalogue = new Map(builtins);
  const issues: ConfigIssue[] = [];
  const plugins = raw.plugins;
  if (plugins && typeof plugins === 'object') {
    for (const [key, entry] of Object.entries(plugins as Record<string, unknown>)) {
      const mod = (entry as { module?: unknown } | null)?.module;
      if (typeof mod !== 'string') continue;
      try {
        const definition = await importPlugin(isAbsolute(mod) ? mod : resolve(baseDir, mod));
        if (definition.name !== key) {
          issues.push({
            path: `plugins.${key}.module`,
            message: `the module defines plugin "${definition.name}"; use that name as the key`,
          });
          continue;
        }
        catalogue.set(key, definition);
      } catch (err) {
        issues.push({ path: `plugins.${key}.module`, message: `cannot load ${mod}: ${(err as Error).message}` });
      }
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return catalogue;
}

async function importPlugin(path: string): Promise<PluginDefinition> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const def = mod.default as PluginDefinition | undefined;
  if (!def || typeof def !== 'object' || typeof def.name !== 'string' || typeof def.setup !== 'function') {
    throw new Error('its default export is not a plugin (use definePlugin)');
  }
  return def;
}

/** The JSON Schema of a whole config file for a catalogue of plugins. */
export function schemaFor(catalogue: PluginCatalogue): TObject {
  return configFileSchema(new Map([...catalogue].map(([name, def]) => [name, def.options])));
}

/**
 * Validates a raw config (already env-overridden) against the catalogue's schemas,
 * fills defaults, and returns the hub's configuration.
 */
export function resolveConfig(raw: Record<string, unknown>, catalogue: PluginCatalogue, file?: string): HubConfig {
  const schema = schemaFor(catalogue);
  const value = Value.Default(schema, structuredClone(raw)) as Record<string, unknown>;
  // Errors walks the schema through a generator: only worth it when the cheaper Check fails.
  const issues = Value.Check(schema, value) ? [] : issuesFromErrors(Value.Errors(schema, value));
  const rawPlugins = (value.plugins ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of Object.keys(rawPlugins)) {
    if (!catalogue.has(name)) {
      issues.push({
        path: `plugins.${name}`,
        message: `no plugin has this name (built-in: ${[...catalogue.keys()].join(', ')}; a third-party plugin needs \`module\`)`,
      });
    }
  }
  if (issues.length) throw new ConfigError(issues, file);

  const plugins: Record<string, PluginEntry> = {};
  for (const [name, def] of catalogue) {
    const { enabled, module, ...options } = rawPlugins[name] ?? {};
    const filled = Value.Default(def.options, structuredClone(options)) as Record<string, unknown>;
    plugins[name] = {
      // Built-ins follow their default; a third-party plugin named in the file runs unless it says otherwise.
      enabled: typeof enabled === 'boolean' ? enabled : typeof module === 'string' || (def.enabledByDefault ?? true),
      ...(typeof module === 'string' ? { module } : {}),
      options: filled,
    };
  }
  const { server, storage, messages, cluster, auth, limits, log, watch } = value as unknown as HubConfig;
  return { server, storage, messages, cluster, auth, limits, log, watch, plugins };
}

/** Reads, env-overrides, loads plugin modules and validates: the whole path from file to config. */
export async function loadConfig(
  path: string,
  env: Record<string, string | undefined>,
  builtins: PluginCatalogue,
  overrides: Record<string, unknown> = {},
): Promise<{
  config: HubConfig;
  catalogue: PluginCatalogue;
  raw: Record<string, unknown>;
  found: boolean;
  /** The file exists but holds no settings (an editor mid-write, a truncation). */
  empty: boolean;
}> {
  const { raw: fileText, found } = await readConfigFile(path);
  try {
    const { value: fileRaw, issues } = substituteEnv(fileText, env);
    if (issues.length) throw new ConfigError(issues, path);
    // Embedder overrides go over the file, the RELAYKIT_* environment over both.
    const raw = applyEnvOverrides(mergePatch(fileRaw, overrides), env);
    const catalogue = await loadPluginModules(raw, dirname(path), builtins);
    return {
      config: resolveConfig(raw, catalogue),
      catalogue,
      raw,
      found,
      empty: found && !Object.keys(fileText).length,
    };
  } catch (err) {
    if (err instanceof ConfigError) {
      const issues = blameEnvironment(err.issues, env);
      // Issues that all come from the environment are not the file's fault.
      const fromEnv = issues.every((i) => i.path.endsWith(')') && i.path.includes('(from RELAYKIT_'));
      throw new ConfigError(issues, err.file ?? (fromEnv ? undefined : path));
    }
    throw err;
  }
}

/** Names the environment variable behind an issue whose field one of them set (`RELAYKIT_PORT=abc`). */
function blameEnvironment(issues: ConfigIssue[], env: Record<string, string | undefined>): ConfigIssue[] {
  return issues.map((issue) => {
    const source = ENV_OVERRIDES.find((o) => o.path.join('.') === issue.path && env[o.env]);
    return source ? { ...issue, path: `${issue.path} (from ${source.env})` } : issue;
  });
}

/** RFC 7396 JSON merge patch: objects merge, `null` removes, anything else replaces. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = mergePatch(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
