/**
 * Running one in-process test file on every store: SQLite (a file in the hub's folder,
 * startTestHub's default) and PostgreSQL (this file's own database, one schema per hub).
 * PostgreSQL follows test/helpers/postgres.ts: under CI=true a missing server fails the
 * file, locally its cases are skipped with a loud banner.
 */
import { createTestDatabase } from './postgres.ts';

export interface TestStore {
  name: 'sqlite' | 'postgres';
  /** `overrides` for startTestHub giving the hub a fresh, empty store of this kind. */
  fresh(): Record<string, unknown>;
}

/** The stores `file` (its `import.meta.path`) runs its cases on. */
export async function testStores(file: string): Promise<TestStore[]> {
  const stores: TestStore[] = [{ name: 'sqlite', fresh: () => ({}) }];
  const db = await createTestDatabase(file);
  if (db) {
    let hubs = 0;
    stores.push({ name: 'postgres', fresh: () => ({ storage: { url: db.url({ schema: `hub_${++hubs}` }) } }) });
  }
  return stores;
}
