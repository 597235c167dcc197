/**
 * relaykit.schema.json, as editors and standard validators read it (ajv), accepts
 * the configs the README and the examples show, and refuses a wrong one.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dir, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'relaykit.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function errorsOf(config: unknown): string[] {
  return validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The README's YAML blocks that are configs (they set a top-level config section). */
function readmeConfigs(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((block) => /^(server|storage|auth|log|plugins|watch):/m.test(block));
}

test('the README shows configs and every one validates', () => {
  const configs = readmeConfigs();
  expect(configs.length).toBeGreaterThanOrEqual(2);
  for (const text of configs) expect(errorsOf(parse(text))).toEqual([]);
});

test.each([
  'relaykit.config.example.yaml',
  'examples/browser/relaykit.config.yaml',
  'examples/custom-plugin/relaykit.config.yaml',
  'examples/embed/relaykit.config.yaml',
])('%s validates', (file) => {
  expect(errorsOf(parse(readFileSync(join(ROOT, file), 'utf8')) ?? {})).toEqual([]);
});

test('an empty file is valid: every field has a default', () => {
  expect(errorsOf({})).toEqual([]);
});

test('a wrong type, an unknown field and a bad enum value are refused', () => {
  expect(errorsOf({ server: { port: 'many' } })).toEqual(['/server/port must be integer']);
  expect(errorsOf({ server: { prot: 3000 } })).toEqual(['/server must NOT have additional properties']);
  expect(errorsOf({ log: { format: 'xml' } }).length).toBeGreaterThan(0);
});
