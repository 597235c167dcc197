/** Why a PostgreSQL store could not be used. Startup errors: the CLI prints the message and exits 1. */
export const STORAGE_ERROR_CODES = [
  /** The URL cannot be understood (wrong scheme, unknown sslmode, bad schema name ...). */
  'RELAYKIT_ERR_STORAGE_URL_INVALID',
  /** No connection could be made (refused, unknown host, timeout, authentication, missing database). */
  'RELAYKIT_ERR_STORAGE_UNREACHABLE',
  /** The database was migrated by a newer Relaykit than this one. */
  'RELAYKIT_ERR_STORAGE_NEWER_SCHEMA',
] as const;
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

/**
 * A storage failure with a stable code and a one-line message that names the
 * database as `host:port/db`, never its password.
 */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}
