import type { TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/value';

/** One problem in a configuration, with the dotted path of the field it is about. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `/plugins/webhooks/retry/0` → `plugins.webhooks.retry[0]` */
export function dottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/** Turns TypeBox errors into issues that say what was expected and what was found. */
export function issuesFromErrors(errors: Iterable<ValueError>): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const issue = issueFromError(error);
    // TypeBox reports a union failure once per branch; one line per field is enough.
    const key = issue.path;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function issueFromError(error: ValueError): ConfigIssue {
  const path = dottedPath(error.path);
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    return { path, message: `unknown field (check the spelling; \`relaykit config schema\` lists every field)` };
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    return { path, message: `is required (expected ${describe(error.schema)})` };
  }
  return { path, message: `expected ${describe(error.schema)}, got ${show(error.value)}` };
}

/** A short description of what a schema accepts: `integer >= 0`, `one of "a", "b"`. */
export function describe(schema: TSchema): string {
  const s = schema as Record<string, unknown> & TSchema;
  if (Array.isArray(s.anyOf)) {
    const consts = (s.anyOf as TSchema[]).map((b) => (b as { const?: unknown }).const);
    if (consts.every((c) => c !== undefined)) return `one of ${consts.map((c) => JSON.stringify(c)).join(', ')}`;
    return (s.anyOf as TSchema[]).map(describe).join(' or ');
  }
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = s.type as string | undefined;
  const bounds: string[] = [];
  if (typeof s.minimum === 'number') bounds.push(`>= ${s.minimum}`);
  if (typeof s.exclusiveMinimum === 'number') bounds.push(`> ${s.exclusiveMinimum}`);
  if (typeof s.maximum === 'number') bounds.push(`<= ${s.maximum}`);
  if (typeof s.minLength === 'number' && s.minLength > 0) bounds.push(`of at least ${s.minLength} characters`);
  if (typeof s.maxLength === 'number') bounds.push(`of at most ${s.maxLength} characters`);
  if (typeof s.pattern === 'string') bounds.push(`matching ${s.pattern}`);
  if (typeof s.minItems === 'number' && s.minItems > 0) bounds.push(`with at least ${s.minItems} items`);
  if (type === 'array' && s.items) return `array of ${describe(s.items as TSchema)}${join(bounds)}`;
  return `${type ?? 'a valid value'}${join(bounds)}`;
}

function join(bounds: string[]): string {
  return bounds.length ? ` ${bounds.join(' and ')}` : '';
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
