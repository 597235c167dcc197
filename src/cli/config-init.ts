import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';

/**
 * A commented config file from the config schema: every section and every plugin
 * with each field's description, set to its default. Fields without a default
 * (secrets, keys) are written commented out, so the file is valid as it is.
 */
export function initialConfig(schema: TSchema): string {
  const lines = [
    '# Relaykit configuration, written by `relaykit config init`. Every value below is the',
    '# default; delete what you do not change. `relaykit config check` validates the file;',
    '# for completion in editors, `relaykit config schema > relaykit.schema.json` and add',
    '# this first line: # yaml-language-server: $schema=./relaykit.schema.json',
    '',
  ];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  for (const [key, child] of Object.entries(properties)) {
    if (key === '$schema') continue;
    lines.push(...field(key, child, 0), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function field(key: string, schema: TSchema, depth: number): string[] {
  const s = schema as Record<string, unknown>;
  const indent = '  '.repeat(depth);
  const out = typeof s.description === 'string' ? comment(s.description, indent) : [];
  const properties = s.properties as Record<string, TSchema> | undefined;
  if (properties && Object.keys(properties).length > 0) {
    const children = Object.entries(properties).flatMap(([name, child]) => field(name, child, depth + 1));
    // A mapping whose every field is commented out would read as null: write it as {}.
    const empty = children.every((line) => line.trimStart().startsWith('#'));
    out.push(`${indent}${yamlKey(key)}:${empty ? ' {}' : ''}`, ...children);
    return out;
  }
  // Built-ins need no module path; say what `enabled` does rather than leave it blank.
  if (depth === 2 && key === 'module') return [];
  if (depth === 2 && key === 'enabled') return [...out, `${indent}# enabled: false`];
  if (s.default === undefined) out.push(`${indent}# ${yamlKey(key)}:`);
  else out.push(`${indent}${yamlKey(key)}: ${inline(s.default)}`);
  return out;
}

function comment(text: string, indent: string): string[] {
  return text.split('\n').map((line) => `${indent}# ${line}`);
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
}

/** A value on one line: flow style for arrays and objects. */
function inline(value: unknown): string {
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return stringify(value).trimEnd();
}
