/**
 * The hub's `Integer` is Elysia's `t.Integer` with its number check compiled on the
 * first decode instead of when the schema is made (a cold start made ~95 of them).
 * Same schema, same decoding, same errors.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Glob } from 'bun';
import { t } from 'elysia';
import { Integer } from '../../src/kernel/integer.ts';

const ROOT = join(import.meta.dir, '../..');

test('the schema is the one t.Integer makes', () => {
  for (const options of [undefined, { minimum: 1 }, { minimum: 0, maximum: 1000, default: 100, description: 'x' }]) {
    expect(JSON.stringify(Integer(options))).toBe(JSON.stringify(t.Integer(options)));
  }
});

test('decodes and refuses what t.Integer decodes and refuses, with the same errors', () => {
  const options = { minimum: 1, maximum: 1000 };
  const ours = Integer(options);
  const theirs = t.Integer(options);
  const decode = (schema: typeof ours, value: unknown) => {
    try {
      return { value: Value.Decode(schema, value) };
    } catch (err) {
      return { error: (err as Error).constructor.name, message: (err as Error).message };
    }
  };
  for (const value of [5, '5', '1000', '1001', '0', 0, '-3', '2.5', 2.5, 'abc', '', '0x10', null, true]) {
    expect(decode(ours, value)).toEqual(decode(theirs, value));
  }
  expect(decode(ours, '5')).toEqual({ value: 5 });
  expect(decode(ours, '1001').error).toBeDefined();
});

test('the routes use it rather than t.Integer', async () => {
  const offenders: string[] = [];
  for (const pattern of ['src/**/*.ts', 'plugins/**/*.ts']) {
    for await (const file of new Glob(pattern).scan(ROOT)) {
      const text = await Bun.file(join(ROOT, file)).text();
      if (/\bt\.Integer\(/.test(text)) offenders.push(file);
    }
  }
  expect(offenders).toEqual([]);
});
