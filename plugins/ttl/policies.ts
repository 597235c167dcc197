import { ConfigError, compilePatterns } from '../../src/index.ts';
import type { TtlOptions } from './options.ts';

/**
 * How long messages of a type live.
 * - `duration`: `seconds` after they were sent;
 * - `immediate`: until acknowledged (or `immediateMaxAgeSeconds`, whichever comes first);
 * - `permanent`: never expire.
 */
export interface Policy {
  /** The preset or custom name, or the duration as written (`15m`). */
  name: string;
  kind: 'duration' | 'immediate' | 'permanent';
  /** Lifetime for `duration` policies, null otherwise. */
  seconds: number | null;
  preset: boolean;
  description: string;
}

/** The seed's presets, fixed: custom policies are added beside them, never over them. */
export const PRESETS: readonly Policy[] = [
  preset('IMMEDIATE', 'immediate', null, 'Deleted once acknowledged (POST /messages/{id}/ack)'),
  preset('SHORT', 'duration', 3_600, '1 hour: errors, temporary data'),
  preset('MEDIUM', 'duration', 86_400, '24 hours: logs (the default)'),
  preset('LONG', 'duration', 604_800, '7 days: commands, important data'),
  preset('PERMANENT', 'permanent', null, 'Never expires: audit logs'),
];

function preset(name: string, kind: Policy['kind'], seconds: number | null, description: string): Policy {
  return { name, kind, seconds, preset: true, description };
}

/** A type pattern mapped to its policy, compiled. */
export interface Rule {
  type: string;
  policy: Policy;
  /** Position in the config, the last tie-breaker. */
  index: number;
  matches(type: string): boolean;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
const CACHE_LIMIT = 10_000;

/**
 * The policy table of one plugin instance: presets, custom policies and rules,
 * checked when the instance starts (so a bad reference fails the config apply) and
 * resolved per message type through a bounded cache.
 */
export class PolicyTable {
  readonly named: ReadonlyMap<string, Policy>;
  /** Rules in evaluation order, most specific first. */
  readonly rules: readonly Rule[];
  readonly fallback: Policy;
  private readonly cache = new Map<string, { policy: Policy; rule: Rule | null }>();

  constructor(options: Pick<TtlOptions, 'defaultPolicy' | 'rules' | 'policies'>) {
    const issues: { path: string; message: string }[] = [];
    const named = new Map(PRESETS.map((p) => [p.name, p]));
    for (const [name, value] of Object.entries(options.policies)) {
      const path = `plugins.ttl.policies.${name}`;
      if (named.has(name)) {
        issues.push({ path, message: `${name} is a preset; pick another name for a custom policy` });
        continue;
      }
      const target = parseRef(value, named, path, issues, true);
      if (target) named.set(name, { ...target, name, preset: false, description: `Custom: ${describe(target)}` });
    }
    this.named = named;
    this.fallback =
      parseRef(options.defaultPolicy, named, 'plugins.ttl.defaultPolicy', issues) ?? (named.get('MEDIUM') as Policy);
    const rules: Rule[] = [];
    options.rules.forEach((rule, index) => {
      const policy = parseRef(rule.policy, named, `plugins.ttl.rules[${index}].policy`, issues);
      if (policy) rules.push({ type: rule.type, policy, index, matches: compilePatterns([rule.type]) });
    });
    if (issues.length) throw new ConfigError(issues);
    this.rules = rules.sort(bySpecificity);
  }

  /** The policy for a message type, and the rule that chose it (null: the default policy). */
  resolve(type: string): { policy: Policy; rule: Rule | null } {
    const hit = this.cache.get(type);
    if (hit) return hit;
    const rule = this.rules.find((r) => r.matches(type)) ?? null;
    const resolved = { policy: rule ? rule.policy : this.fallback, rule };
    // Types are client-supplied: keep the cache bounded.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(type, resolved);
    return resolved;
  }

  /** A policy by name or duration, for extend requests; null when unknown. */
  lookup(ref: string | number): Policy | null {
    return parseRef(ref, this.named, '', []);
  }
}

/** Exact types first, then patterns with more literal characters, then config order. */
function bySpecificity(a: Rule, b: Rule): number {
  const wildA = a.type.includes('*');
  const wildB = b.type.includes('*');
  if (wildA !== wildB) return wildA ? 1 : -1;
  const literal = (r: Rule) => r.type.replaceAll('*', '').length;
  return literal(b) - literal(a) || a.index - b.index;
}

function parseRef(
  ref: string | number,
  named: ReadonlyMap<string, Policy>,
  path: string,
  issues: { path: string; message: string }[],
  presetsOnly = false,
): Policy | null {
  if (typeof ref === 'number') return durationPolicy(String(ref), ref);
  const match = /^([1-9][0-9]*)([smhdw])$/.exec(ref);
  if (match) return durationPolicy(ref, Number(match[1]) * UNIT_SECONDS[match[2]]);
  const policy = named.get(ref);
  if (policy && (!presetsOnly || policy.preset)) return policy;
  issues.push({
    path,
    message: `unknown policy "${ref}" (${presetsOnly ? 'a custom policy may alias a preset: ' : 'known: '}${[
      ...named.keys(),
    ]
      .filter((n) => !presetsOnly || named.get(n)?.preset)
      .join(', ')}; or a duration like 90s, 15m, 2h, 7d, 2w)`,
  });
  return null;
}

function durationPolicy(name: string, seconds: number): Policy {
  return { name, kind: 'duration', seconds, preset: false, description: `${seconds} s` };
}

function describe(policy: Policy): string {
  return policy.kind === 'duration' ? `${policy.seconds} s` : `as ${policy.name}`;
}
