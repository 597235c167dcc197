import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const ENDPOINT_FORMATS = ['standard', 'slack', 'discord', 'raw'] as const;
export type EndpointFormat = (typeof ENDPOINT_FORMATS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * `status = 'pending'` with the value written into the SQL: the due index holds only
 * pending rows, and a query can use it only when its own condition implies the index's.
 * A bound 'pending' does not, as planned: SQLite matches it only by planning the
 * statement again at every new binding, and PostgreSQL's generic plan of a prepared
 * statement cannot use the index at all.
 */
export function isPending(status: SQLWrapper): SQL {
  return sql`${status} = 'pending'`;
}

/** Why a delivery ended up failed (the dead-letter state). */
export const FAILURE_REASONS = ['exhausted', 'endpoint_disabled'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const DISABLED_REASONS = ['manual', 'failing', 'gone'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

export const ATTEMPT_OUTCOMES = ['success', 'http_error', 'timeout', 'network_error', 'refused'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Where events go: one row per registered endpoint. */
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** JSON array of event-name patterns (`message.*`). */
  events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
  /** JSON array of channel patterns, or null for every channel. */
  channels: text('channels', { mode: 'json' }).$type<string[] | null>(),
  format: text('format', { enum: ENDPOINT_FORMATS }).notNull(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull(),
  disabledReason: text('disabled_reason', { enum: DISABLED_REASONS }),
  /** JSON object of extra request headers. */
  headers: text('headers', { mode: 'json' }).$type<Record<string, string>>().notNull(),
  // Stored as given: a production deployment would encrypt these at rest (see docs).
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: integer('previous_secret_expires_at'),
  /** JSON array of retry delays in seconds, overriding the plugin's schedule. */
  retrySchedule: text('retry_schedule', { mode: 'json' }).$type<number[] | null>(),
  timeoutMs: integer('timeout_ms'),
  /** Failed attempts since the last success, and when that run of failures began. */
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  failingSince: integer('failing_since'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** One hub event captured for delivery, stored once whatever the number of endpoints. */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    /** The `webhook-id` every attempt of every delivery of this event carries. */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** The Standard Webhooks envelope `{id, type, timestamp, data}` as JSON, sent exactly as stored. */
    body: text('body').notNull(),
    /** The message this event carries, for `message.sent`. */
    messageId: integer('message_id'),
    createdAt: integer('created_at').notNull(),
    /**
     * Set for events several nodes of a cluster may capture (channel.occupied ...): the
     * same event gives the same key on every node, and the unique index keeps one.
     */
    dedupeKey: text('dedupe_key'),
  },
  (t) => [
    uniqueIndex('webhook_events_dedupe_key_idx').on(t.dedupeKey),
    index('webhook_events_message_id_idx').on(t.messageId),
    index('webhook_events_created_at_idx').on(t.createdAt),
  ],
);

/** The outbox: one row per (event, endpoint), claimed by the worker with a lease. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    failureReason: text('failure_reason', { enum: FAILURE_REASONS }),
    /** Every attempt ever made; `failures` counts failed attempts since the last (re)queue, for the schedule. */
    attempts: integer('attempts').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    /**
     * When the delivery is due. Claiming pushes it to the lease's end, so a delivery
     * whose process died becomes due again when the lease expires.
     */
    nextAttemptAt: integer('next_attempt_at').notNull(),
    /** Until when a worker holds it (null when not claimed). */
    leaseUntil: integer('lease_until'),
    /**
     * The fencing token of the claim that holds it, new at every claim: a worker settles
     * only rows still carrying its token, so one whose lease expired (and was claimed
     * by another worker meanwhile) cannot overwrite what the new holder records.
     */
    leaseToken: text('lease_token'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    /** When it was delivered or failed. */
    finishedAt: integer('finished_at'),
  },
  (t) => [
    // Partial: only pending rows, the ones the worker looks for. A delivery settled leaves it
    // (one index write) instead of moving within it, and the index stays the size of the backlog.
    // Queries name `status = 'pending'` literally (see isPending).
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(isPending(t.status)),
    // Not on status: a settled delivery changes status, and every index it is in costs a write.
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
    // Partial: only settled rows (a pending one has no finished_at), for retention.
    index('webhook_deliveries_finished_idx').on(t.status, t.finishedAt).where(sql`${t.finishedAt} is not null`),
    index('webhook_deliveries_event_idx').on(t.eventId),
  ],
);

/** What happened at each attempt. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    startedAt: integer('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ATTEMPT_OUTCOMES }).notNull(),
    status: integer('status'),
    error: text('error'),
    /** The start of the response body, at most 4 KB. */
    responseExcerpt: text('response_excerpt'),
  },
  // Retention prunes attempts from the lowest id (the oldest) and needs no index on time.
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId)],
);

/**
 * Counters the plugin keeps (`endpoints_version`: bumped by every endpoint write, so
 * each node notices, inside its next commit, that its endpoint cache is stale).
 */
export const webhookMeta = sqliteTable('webhook_meta', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
