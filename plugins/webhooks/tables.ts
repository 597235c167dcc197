import * as pg from './schema.pg.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from './schema.ts';

/** The plugin's tables per dialect (picked at runtime by `ctx.storage.tables`): these, and their pg-core twins. */
export const webhookTables = {
  sqlite: {
    endpoints: webhookEndpoints,
    events: webhookEvents,
    deliveries: webhookDeliveries,
    attempts: webhookAttempts,
  },
  postgres: {
    endpoints: pg.webhookEndpoints,
    events: pg.webhookEvents,
    deliveries: pg.webhookDeliveries,
    attempts: pg.webhookAttempts,
  },
};

export type WebhookTables = typeof webhookTables.sqlite;
