import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';

/** The PostgreSQL twin of `schema.ts` (same table, columns and indexes). */
export const ttlArchive = pgTable(
  'ttl_archive',
  {
    /** The message's own id. */
    id: bigint('id', { mode: 'number' }).primaryKey(),
    from: text('from_client'),
    to: text('to_client'),
    channel: text('channel'),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
    deliveredAt: bigint('delivered_at', { mode: 'number' }),
    deliveredBy: text('delivered_by'),
    archivedAt: bigint('archived_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('ttl_archive_type_id_idx').on(t.type, t.id), index('ttl_archive_archived_at_idx').on(t.archivedAt)],
);

export type PgArchiveRow = typeof ttlArchive.$inferSelect;
