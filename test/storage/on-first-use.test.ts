import { expect, test } from 'bun:test';
import { onFirstUse } from '../../src/storage/on-first-use.ts';

test('each property is made on its first read, once, and only that one', () => {
  const made: string[] = [];
  const statements = onFirstUse({
    due: () => {
      made.push('due');
      return { sql: 'select' };
    },
    lease: () => {
      made.push('lease');
      return { sql: 'update' };
    },
  });
  expect(made).toEqual([]);
  const first = statements.due;
  expect(statements.due).toBe(first);
  expect(first).toEqual({ sql: 'select' });
  expect(made).toEqual(['due']);
  expect(Object.keys(statements)).toEqual(['due', 'lease']);
});
