import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { GENERATED, renderMigrations } from '../../scripts/embed-migrations.ts';

test('the embedded migrations match drizzle/ (run `bun run db:generate` after changing a schema)', () => {
  expect(readFileSync(GENERATED, 'utf8')).toBe(renderMigrations());
});
