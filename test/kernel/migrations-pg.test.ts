import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { GENERATED_PG, renderPgMigrations } from '../../scripts/embed-migrations.ts';
import { BUILTIN_MIGRATIONS } from '../../src/storage/migrations.generated.ts';
import { BUILTIN_PG_MIGRATIONS } from '../../src/storage/migrations.pg.generated.ts';

test('the embedded PostgreSQL migrations match drizzle/pg/ (run `bun run db:generate` after changing a schema)', () => {
  expect(readFileSync(GENERATED_PG, 'utf8')).toBe(renderPgMigrations());
});

test('PostgreSQL migrations name no schema, so a hub can run in the schema its URL chooses', () => {
  const statements = BUILTIN_PG_MIGRATIONS.flatMap((m) => m.sql);
  expect(statements.some((s) => s.includes('REFERENCES'))).toBe(true);
  for (const statement of statements) expect(statement).not.toContain('"public".');
});

test('every table of the SQLite migrations has a PostgreSQL twin', () => {
  const tables = (list: typeof BUILTIN_MIGRATIONS, quote: string) =>
    new Set(
      list
        .flatMap((m) => m.sql)
        .flatMap((s) => [...s.matchAll(new RegExp(`CREATE TABLE ${quote}(\\w+)${quote}`, 'g'))].map((m) => m[1])),
    );
  const sqlite = tables(BUILTIN_MIGRATIONS, '`');
  const pg = tables(BUILTIN_PG_MIGRATIONS, '"');
  expect(sqlite.size).toBeGreaterThan(0);
  for (const table of sqlite) expect(pg.has(table)).toBe(true);
});
