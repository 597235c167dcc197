import * as pg from './schema.pg.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents, webhookMeta } from './schema.ts';

/** The plugin's tables per dialect (picked at runtime by `ctx.storage.tables`): these, and their pg-core twins. */
export const webhookTables = {
  sqlite: {
    endpoints: webhookEndpoints,
    events: webhookEvents,
    deliveries: webhookDeliveries,
    attempts: webhookAttempts,
    meta: webhookMeta,
  },
  postgres: {
    endpoints: pg.webhookEndpoints,
    events: pg.webhookEvents,
    deliveries: pg.webhookDeliveries,
    attempts: pg.webhookAttempts,
    meta: pg.webhookMeta,
  },
};

export type WebhookTables = typeof webhookTables.sqlite;
