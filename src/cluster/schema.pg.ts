import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Cluster coordination tables in the PostgreSQL migrations (SQLite runs one node
 * and needs none). `relaykit_leases` backs LeaseLeadership: one row per led name,
 * taken or renewed by one statement judged by the database's clock.
 */
export const relaykitLeases = pgTable('relaykit_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  until: timestamp('until', { withTimezone: true, mode: 'date' }).notNull(),
});
