import { bigint, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { KeyScopeSet } from '../access.ts';

/** The PostgreSQL twin of `schema.ts` (times are bigint epoch milliseconds read as numbers). */
export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  hash: text('hash').notNull().unique(),
  scopes: jsonb('scopes').$type<KeyScopeSet>().notNull(),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  lastUsedAt: bigint('last_used_at', { mode: 'number' }),
  revokedAt: bigint('revoked_at', { mode: 'number' }),
});
