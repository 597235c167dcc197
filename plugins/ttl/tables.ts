import { ttlArchive } from './schema.ts';

/**
 * The plugin's tables per dialect (picked at setup by `ctx.storage.tables`): this one,
 * and its pg-core twin, imported only on PostgreSQL (a SQLite hub never loads pg-core).
 */
export const ttlTables = {
  sqlite: { ttlArchive },
  postgres: () => import('./schema.pg.ts').then((pg) => ({ ttlArchive: pg.ttlArchive })),
};

export type TtlTables = typeof ttlTables.sqlite;
