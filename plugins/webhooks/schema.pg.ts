import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import {
  ATTEMPT_OUTCOMES,
  DELIVERY_STATUSES,
  DISABLED_REASONS,
  ENDPOINT_FORMATS,
  FAILURE_REASONS,
  isPending,
} from './schema.ts';

/**
 * The PostgreSQL twin of `schema.ts`: same tables, columns and indexes, and the
 * same TypeScript row types. Epoch-millisecond times are `bigint` read back as JS
 * numbers; SQLite's JSON-text columns are `jsonb` (Drizzle (de)serialises both the
 * same way); event bodies stay text, sent exactly as stored.
 */

/** Where events go: one row per registered endpoint. */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** JSON array of event-name patterns (`message.*`). */
  events: jsonb('events').$type<string[]>().notNull(),
  /** JSON array of channel patterns, or null for every channel. */
  channels: jsonb('channels').$type<string[] | null>(),
  format: text('format', { enum: ENDPOINT_FORMATS }).notNull(),
  enabled: boolean('enabled').notNull(),
  disabledReason: text('disabled_reason', { enum: DISABLED_REASONS }),
  /** JSON object of extra request headers. */
  headers: jsonb('headers').$type<Record<string, string>>().notNull(),
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: bigint('previous_secret_expires_at', { mode: 'number' }),
  /** JSON array of retry delays in seconds, overriding the plugin's schedule. */
  retrySchedule: jsonb('retry_schedule').$type<number[] | null>(),
  timeoutMs: integer('timeout_ms'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  failingSince: bigint('failing_since', { mode: 'number' }),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
});

/** One hub event captured for delivery, stored once whatever the number of endpoints. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** The Standard Webhooks envelope as JSON text, sent exactly as stored. */
    body: text('body').notNull(),
    messageId: bigint('message_id', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    dedupeKey: text('dedupe_key'),
  },
  (t) => [
    uniqueIndex('webhook_events_dedupe_key_idx').on(t.dedupeKey),
    index('webhook_events_message_id_idx').on(t.messageId),
    index('webhook_events_created_at_idx').on(t.createdAt),
  ],
);

/** The outbox: one row per (event, endpoint), claimed by a worker with a lease. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    // An identity never hands a value out twice, like SQLite's AUTOINCREMENT.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    failureReason: text('failure_reason', { enum: FAILURE_REASONS }),
    attempts: integer('attempts').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }).notNull(),
    leaseUntil: bigint('lease_until', { mode: 'number' }),
    leaseToken: text('lease_token'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    finishedAt: bigint('finished_at', { mode: 'number' }),
  },
  (t) => [
    // Partial: only pending rows, the ones the worker looks for. A delivery settled leaves it
    // (one index write) instead of moving within it, and the index stays the size of the backlog.
    // Queries name `status = 'pending'` literally (see isPending).
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(isPending(t.status)),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
    // Partial: only settled rows (a pending one has no finished_at), for retention.
    index('webhook_deliveries_finished_idx').on(t.status, t.finishedAt).where(sql`${t.finishedAt} is not null`),
    index('webhook_deliveries_event_idx').on(t.eventId),
  ],
);

/** What happened at each attempt. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    deliveryId: bigint('delivery_id', { mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    startedAt: bigint('started_at', { mode: 'number' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ATTEMPT_OUTCOMES }).notNull(),
    status: integer('status'),
    error: text('error'),
    /** The start of the response body, at most 4 KB. */
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId)],
);

/** Counters the plugin keeps (see schema.ts). */
export const webhookMeta = pgTable('webhook_meta', {
  key: text('key').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});

export type PgEndpointRow = typeof webhookEndpoints.$inferSelect;
