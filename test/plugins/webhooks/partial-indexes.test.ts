import { Database } from 'bun:sqlite';
import { expect, test } from 'bun:test';
import { and, asc, eq, gt, isNotNull, lte, min } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/bun-sqlite';
import { webhookDeliveries as d, isPending } from '../../../plugins/webhooks/schema.ts';
import { BUILTIN_MIGRATIONS, migrate } from '../../../src/storage/sqlite.ts';

/**
 * The due index holds only pending deliveries and the finished index only settled ones
 * (partial indexes). A query uses one only when its conditions imply the index's: the
 * worker's queries name `status = 'pending'` literally (isPending), and retention names
 * `finished_at IS NOT NULL` or compares finished_at. Else SQLite scans the table.
 */
function migrated() {
  const client = new Database(':memory:', { strict: true });
  const db = drizzle({ client });
  migrate({ db: db as never, exec: (sql) => void client.exec(sql) }, BUILTIN_MIGRATIONS);
  return { client, db };
}

function plan(client: Database, query: { toSQL(): { sql: string; params: unknown[] } }): string {
  const { sql, params } = query.toSQL();
  const rows = client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as never[])) as Array<{ detail: string }>;
  return rows.map((r) => r.detail).join('\n');
}

test('the migrated due and finished indexes are partial', () => {
  const { client } = migrated();
  const sql = (name: string) =>
    (client.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string }).sql;
  expect(sql('webhook_deliveries_due_idx')).toContain(`"status" = 'pending'`);
  expect(sql('webhook_deliveries_finished_idx')).toContain('"finished_at" is not null');
});

test("the worker's due and next-due queries are served by the partial due index", () => {
  const { client, db } = migrated();
  const due = db
    .select({ id: d.id, endpointId: d.endpointId, eventId: d.eventId })
    .from(d)
    .where(and(isPending(d.status), lte(d.nextAttemptAt, 1000)))
    .orderBy(asc(d.nextAttemptAt), asc(d.id))
    .limit(64);
  expect(plan(client, due)).toContain('USING INDEX webhook_deliveries_due_idx (next_attempt_at<?)');
  expect(plan(client, due)).not.toContain('TEMP B-TREE');
  const next = db
    .select({ at: min(d.nextAttemptAt) })
    .from(d)
    .where(and(isPending(d.status), gt(d.nextAttemptAt, 1000)));
  expect(plan(client, next)).toContain('webhook_deliveries_due_idx');
});

test("retention's queries are served by the partial finished index", () => {
  const { client, db } = migrated();
  const oldest = db
    .select({ at: min(d.finishedAt) })
    .from(d)
    .where(and(eq(d.status, 'delivered'), isNotNull(d.finishedAt)));
  expect(plan(client, oldest)).toContain('webhook_deliveries_finished_idx');
  const expired = db
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.status, 'failed'), lte(d.finishedAt, 1000)))
    .limit(100);
  expect(plan(client, expired)).toContain('webhook_deliveries_finished_idx');
});

test('listing deliveries by a settled status is served by the finished index', () => {
  const { client, db } = migrated();
  // As GET /webhooks/deliveries?status=failed builds it (queries.ts).
  const failed = db
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.status, 'failed'), isNotNull(d.finishedAt)))
    .orderBy(asc(d.id))
    .limit(50);
  expect(plan(client, failed)).toContain('webhook_deliveries_finished_idx');
});
