import { readFileSync } from 'node:fs';
import type { ConfigIssue } from './errors.ts';

/**
 * Replaces `${NAME}` in every string of a config file with the environment variable
 * NAME, or, when NAME is unset, with the trimmed contents of the file named by
 * NAME_FILE (mounted secrets). A reference to neither is an issue naming the field:
 * a secret never silently becomes empty. `$${NAME}` stays literal as `${NAME}`.
 */
export function substituteEnv(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { value: Record<string, unknown>; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return substituteString(value, env, path, issues);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, path ? `${path}.${k}` : k)]),
      );
    }
    return value;
  };
  return { value: walk(raw, '') as Record<string, unknown>, issues };
}

function substituteString(
  text: string,
  env: Record<string, string | undefined>,
  path: string,
  issues: ConfigIssue[],
): string {
  if (!text.includes('${')) return text;
  return text.replace(/(\$?)\$\{([A-Z_][A-Z0-9_]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    const direct = env[name];
    if (direct !== undefined && direct !== '') return direct;
    const file = env[`${name}_FILE`];
    if (file) {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch (err) {
        issues.push({ path, message: `cannot read ${name}_FILE (${file}): ${(err as Error).message}` });
        return '';
      }
    }
    issues.push({ path, message: `refers to \${${name}}, but neither ${name} nor ${name}_FILE is set` });
    return '';
  });
}
