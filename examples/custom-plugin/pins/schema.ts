import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Messages someone pinned, with a note: one row per message (SQLite). */
export const pins = sqliteTable(
  'pins',
  {
    /** The pinned message's id (a message is pinned at most once). */
    messageId: integer('message_id').primaryKey(),
    /** The message's channel, copied so a channel's pins list without a join. */
    channel: text('channel'),
    note: text('note').notNull(),
    /** When it was pinned, in ms since the epoch. */
    pinnedAt: integer('pinned_at').notNull(),
  },
  (t) => [index('pins_channel_idx').on(t.channel, t.messageId)],
);

export type Pin = typeof pins.$inferSelect;
