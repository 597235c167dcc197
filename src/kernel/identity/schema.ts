import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { KeyScopeSet } from '../access.ts';

/** API keys created through the admin API: only the sha256 of each key is stored. */
export const apiKeys = sqliteTable('api_keys', {
  /** `key_<random>`: names the key in the admin API. */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Hex sha256 of the key (the plaintext is shown once, at creation). */
  hash: text('hash').notNull().unique(),
  /** JSON: the key's scopes (publish, read, to, actAs, admin). */
  scopes: text('scopes', { mode: 'json' }).$type<KeyScopeSet>().notNull(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
  /** When the key was revoked; a revoked key is refused (401) and kept for the record. */
  revokedAt: integer('revoked_at'),
});

export type ApiKeyRow = typeof apiKeys.$inferSelect;
