import type { ConfigIssue } from '../config/errors.ts';
import type { PluginDefinition } from './plugin.ts';

/**
 * Orders enabled plugins so each comes after its dependencies. Returns the order,
 * or the issues (a dependency that is missing or disabled, a cycle) naming the field.
 */
export function orderPlugins(
  enabled: readonly string[],
  catalogue: ReadonlyMap<string, PluginDefinition>,
): { order: string[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const wanted = new Set(enabled);
  for (const name of enabled) {
    for (const dep of catalogue.get(name)?.dependencies ?? []) {
      if (!wanted.has(dep)) {
        issues.push({
          path: `plugins.${name}`,
          message: catalogue.has(dep)
            ? `depends on plugin "${dep}", which is not enabled (set plugins.${dep}.enabled: true)`
            : `depends on plugin "${dep}", which is not installed`,
        });
      }
    }
  }
  if (issues.length) return { order: [], issues };

  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      issues.push({ path: `plugins.${name}`, message: `dependency cycle: ${[...trail, name].join(' -> ')}` });
      return;
    }
    state.set(name, 'visiting');
    for (const dep of catalogue.get(name)?.dependencies ?? []) visit(dep, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  // Stable: visit in the catalogue's order so the route and start order is predictable.
  for (const name of catalogue.keys()) if (wanted.has(name)) visit(name, []);
  return { order, issues };
}

/** Every plugin that (transitively) depends on one of `roots`, within `among`. */
export function dependentsOf(
  roots: ReadonlySet<string>,
  among: readonly string[],
  catalogue: ReadonlyMap<string, PluginDefinition>,
): Set<string> {
  const result = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const name of among) {
      if (result.has(name) || roots.has(name)) continue;
      const deps = catalogue.get(name)?.dependencies ?? [];
      if (deps.some((d) => roots.has(d) || result.has(d))) {
        result.add(name);
        grew = true;
      }
    }
  }
  return result;
}
