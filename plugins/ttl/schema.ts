import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Expired messages copied here by the sweeper (when `archive.table` is on), in the
 * same transaction that deletes them from `messages`; pruned after
 * `archive.retentionSeconds`.
 */
export const ttlArchive = sqliteTable(
  'ttl_archive',
  {
    /** The message's own id. */
    id: integer('id').primaryKey(),
    from: text('from_client'),
    to: text('to_client'),
    channel: text('channel'),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    deliveredAt: integer('delivered_at'),
    deliveredBy: text('delivered_by'),
    archivedAt: integer('archived_at').notNull(),
  },
  (t) => [index('ttl_archive_type_id_idx').on(t.type, t.id), index('ttl_archive_archived_at_idx').on(t.archivedAt)],
);

export type ArchiveRow = typeof ttlArchive.$inferSelect;
