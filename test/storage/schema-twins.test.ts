import { describe, expect, test } from 'bun:test';
import { type PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { type SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import * as ttlPg from '../../plugins/ttl/schema.pg.ts';
import * as ttl from '../../plugins/ttl/schema.ts';
import * as webhooksPg from '../../plugins/webhooks/schema.pg.ts';
import * as webhooks from '../../plugins/webhooks/schema.ts';
import * as identityPg from '../../src/kernel/identity/schema.pg.ts';
import * as identity from '../../src/kernel/identity/schema.ts';
import * as kernelPg from '../../src/messages/schema.pg.ts';
import * as kernel from '../../src/messages/schema.ts';

/** Compile-time: the two dialects read back rows of exactly the same TypeScript shape. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameRows: [
  Equal<typeof kernel.messages.$inferSelect, typeof kernelPg.messages.$inferSelect>,
  Equal<typeof kernel.hubMeta.$inferSelect, typeof kernelPg.hubMeta.$inferSelect>,
  Equal<typeof kernel.messageIdempotency.$inferSelect, typeof kernelPg.messageIdempotency.$inferSelect>,
  Equal<typeof webhooks.webhookMeta.$inferSelect, typeof webhooksPg.webhookMeta.$inferSelect>,
  Equal<typeof ttl.ttlArchive.$inferSelect, typeof ttlPg.ttlArchive.$inferSelect>,
  Equal<typeof webhooks.webhookEndpoints.$inferSelect, typeof webhooksPg.webhookEndpoints.$inferSelect>,
  Equal<typeof webhooks.webhookEvents.$inferSelect, typeof webhooksPg.webhookEvents.$inferSelect>,
  Equal<typeof webhooks.webhookDeliveries.$inferSelect, typeof webhooksPg.webhookDeliveries.$inferSelect>,
  Equal<typeof webhooks.webhookAttempts.$inferSelect, typeof webhooksPg.webhookAttempts.$inferSelect>,
  // Inserts too, except where PostgreSQL requires an id SQLite would make up: messages (allocated
  // by storage/postgres/ids.ts) and ttl_archive (always the archived message's own id).
  Equal<typeof webhooks.webhookEndpoints.$inferInsert, typeof webhooksPg.webhookEndpoints.$inferInsert>,
  Equal<typeof webhooks.webhookDeliveries.$inferInsert, typeof webhooksPg.webhookDeliveries.$inferInsert>,
  Equal<typeof webhooks.webhookAttempts.$inferInsert, typeof webhooksPg.webhookAttempts.$inferInsert>,
  Equal<typeof identity.apiKeys.$inferSelect, typeof identityPg.apiKeys.$inferSelect>,
  Equal<typeof identity.apiKeys.$inferInsert, typeof identityPg.apiKeys.$inferInsert>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

const twins: [string, SQLiteTable, PgTable][] = [
  ['messages', kernel.messages, kernelPg.messages],
  ['hub_meta', kernel.hubMeta, kernelPg.hubMeta],
  ['message_idempotency', kernel.messageIdempotency, kernelPg.messageIdempotency],
  ['webhook_meta', webhooks.webhookMeta, webhooksPg.webhookMeta],
  ['ttl_archive', ttl.ttlArchive, ttlPg.ttlArchive],
  ['webhook_endpoints', webhooks.webhookEndpoints, webhooksPg.webhookEndpoints],
  ['webhook_events', webhooks.webhookEvents, webhooksPg.webhookEvents],
  ['webhook_deliveries', webhooks.webhookDeliveries, webhooksPg.webhookDeliveries],
  ['webhook_attempts', webhooks.webhookAttempts, webhooksPg.webhookAttempts],
  ['api_keys', identity.apiKeys, identityPg.apiKeys],
];

function shape(config: {
  name: string;
  columns: { name: string; notNull: boolean; primary: boolean }[];
  indexes: { config: { name?: string; columns: unknown[] } }[];
}) {
  return {
    name: config.name,
    columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull, primary: c.primary })),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name,
        columns: i.config.columns.map((c) => (c as { name: string }).name),
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
  };
}

describe('every SQLite table has a PostgreSQL twin', () => {
  test('row types are identical on both dialects', () => {
    expect(sameRows.every(Boolean)).toBe(true);
  });

  for (const [name, sqlite, pg] of twins) {
    test(`${name}: same columns (names, nullability, primary key) and same indexes`, () => {
      expect(shape(pgConfig(pg))).toEqual(shape(sqliteConfig(sqlite)));
    });
  }

  test('no SQLite table is missing from the list above', () => {
    const exported = [kernel, identity, ttl, webhooks]
      .flatMap((module) => Object.values(module))
      .filter((value) => {
        try {
          sqliteConfig(value as SQLiteTable);
          return true;
        } catch {
          return false;
        }
      })
      .map((table) => sqliteConfig(table as SQLiteTable).name)
      .sort();
    expect(exported).toEqual(twins.map(([name]) => name).sort());
  });
});
