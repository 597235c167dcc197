/**
 * The PostgreSQL store: open a Drizzle database from a `postgres://` URL, migrate
 * it under an advisory lock, allocate dense commit-ordered message ids.
 * Importing this module loads neither postgres-js nor drizzle-orm/postgres-js:
 * `openPostgres` imports them when first called.
 */
export { isStorageUnavailable, STORAGE_ERROR_CODES, StorageError, type StorageErrorCode } from './errors.ts';
export { insertGuarded, insertMessages, lastMessageId, type NewPostgresMessage, type PostgresExecutor } from './ids.ts';
export {
  BUILTIN_PG_MIGRATIONS,
  MIGRATION_LOCK_KEY,
  type MigrateResult,
  migratePostgres,
  type TaggedMigration,
} from './migrate.ts';
export {
  type OpenPostgresOptions,
  openPostgres,
  type PostgresDatabase,
  type PostgresStore,
  type PostgresTransaction,
  quoteIdentifier,
} from './open.ts';
export { isPostgresUrl, type PostgresTarget, parsePostgresUrl, redactUrl, SSL_MODES, type SslMode } from './url.ts';
