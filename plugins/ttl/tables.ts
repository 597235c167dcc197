import * as pg from './schema.pg.ts';
import { ttlArchive } from './schema.ts';

/** The plugin's tables per dialect (picked at runtime by `ctx.storage.tables`): this one, and its pg-core twin. */
export const ttlTables = { sqlite: { ttlArchive }, postgres: { ttlArchive: pg.ttlArchive } };
