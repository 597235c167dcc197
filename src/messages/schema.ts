import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** The event log: every message the hub accepted, in id order. */
export const messages = sqliteTable(
  'messages',
  {
    // AUTOINCREMENT: ids are never reused after deletes, so they stay valid resume cursors.
    id: integer('id').primaryKey({ autoIncrement: true }),
    from: text('from_client'),
    to: text('to_client'),
    channel: text('channel'),
    type: text('type').notNull(),
    /** The payload as JSON text, stored exactly as received after validation. */
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    deliveredAt: integer('delivered_at'),
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
export const hubMeta = sqliteTable('hub_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * Idempotency keys of `POST /messages` (the `Idempotency-Key` header): one row per
 * caller and key, claimed in the transaction that stores the message, so a retry on
 * any node finds it. Rows live until `expires_at` (the window) and are then purged.
 */
export const messageIdempotency = sqliteTable(
  'message_idempotency',
  {
    /** Who sent it: the caller's subject (`key:<name>`, `jwt:<sub>`, `admin`) or `ip:<address>`. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** Hash of the request as stored (sender, recipient, channel, type, payload, ttl). */
    fingerprint: text('fingerprint').notNull(),
    /** The message the key created (set in the same transaction as the claim). */
    messageId: integer('message_id'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('message_idempotency_expires_at_idx').on(t.expiresAt)],
);

export type MessageRow = typeof messages.$inferSelect;
export type NewMessageRow = typeof messages.$inferInsert;
