import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL twin of `schema.ts`: same tables, columns and indexes, so query
 * code reads the same rows on both stores. Epoch-millisecond times are `bigint`
 * read back as JS numbers; the payload stays JSON text, byte for byte as SQLite
 * keeps it.
 */

/**
 * The event log. `id` has no default: every insert takes its ids from
 * `message_id_counter` in the inserting statement (see src/storage/postgres/ids.ts),
 * which keeps ids dense and in commit order. A sequence would not: its values are
 * taken before commit, so a reader tailing `id > cursor` could skip a row.
 */
export const messages = pgTable(
  'messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    from: text('from_client'),
    to: text('to_client'),
    channel: text('channel'),
    type: text('type').notNull(),
    /** The payload as JSON text, stored exactly as received after validation. */
    payload: text('payload').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }),
    deliveredAt: bigint('delivered_at', { mode: 'number' }),
    deliveredBy: text('delivered_by'),
  },
  (t) => [
    index('messages_channel_id_idx').on(t.channel, t.id),
    index('messages_to_id_idx').on(t.to, t.id),
    index('messages_type_id_idx').on(t.type, t.id),
    index('messages_expires_at_idx').on(t.expiresAt),
  ],
);

/** Small key/value facts the kernel keeps about itself (the retention horizon). */
export const hubMeta = pgTable('hub_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * One row: the highest message id ever allocated. Bumped by the statement that
 * inserts a batch, so its row lock orders commits and a rolled-back batch gives
 * its ids back. Also the store's "last id", whatever retention deleted.
 */
export const messageIdCounter = pgTable(
  'message_id_counter',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    lastId: bigint('last_id', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('message_id_counter_singleton', sql`${t.singleton}`)],
);

/** Idempotency keys of `POST /messages` (see schema.ts). */
export const messageIdempotency = pgTable(
  'message_idempotency',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    messageId: bigint('message_id', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('message_idempotency_expires_at_idx').on(t.expiresAt)],
);

export type PgMessageRow = typeof messages.$inferSelect;
export type NewPgMessageRow = typeof messages.$inferInsert;
