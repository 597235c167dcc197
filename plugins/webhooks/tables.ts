import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents, webhookMeta } from './schema.ts';

/**
 * The plugin's tables per dialect (picked at setup by `ctx.storage.tables`): these, and
 * their pg-core twins, imported only on PostgreSQL (a SQLite hub never loads pg-core).
 */
export const webhookTables = {
  sqlite: {
    endpoints: webhookEndpoints,
    events: webhookEvents,
    deliveries: webhookDeliveries,
    attempts: webhookAttempts,
    meta: webhookMeta,
  },
  postgres: () =>
    import('./schema.pg.ts').then((pg) => ({
      endpoints: pg.webhookEndpoints,
      events: pg.webhookEvents,
      deliveries: pg.webhookDeliveries,
      attempts: pg.webhookAttempts,
      meta: pg.webhookMeta,
    })),
};

export type WebhookTables = typeof webhookTables.sqlite;
