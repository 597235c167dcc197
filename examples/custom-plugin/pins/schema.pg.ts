import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';

/** The PostgreSQL twin of `schema.ts`: same table, column and index names, same JavaScript types. */
export const pins = pgTable(
  'pins',
  {
    messageId: bigint('message_id', { mode: 'number' }).primaryKey(),
    channel: text('channel'),
    note: text('note').notNull(),
    pinnedAt: bigint('pinned_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('pins_channel_idx').on(t.channel, t.messageId)],
);
