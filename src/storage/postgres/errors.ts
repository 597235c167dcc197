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

/** Driver and socket codes that mean the database cannot be talked to right now. */
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'RELAYKIT_ERR_STORAGE_UNREACHABLE',
]);

/** SQLSTATEs that mean the same from the server's side. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server stops, or pg_terminate_backend
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a failover left us on a standby
]);

/**
 * Whether `err` (as thrown by Drizzle, which wraps the driver's error in `cause`)
 * means the database is unavailable, not that the statement was wrong: the hub
 * answers such writes 503 and reports not ready, and postgres-js reconnects on
 * the next query once the server is back. Constraint violations, syntax errors and
 * serialization failures are not unavailability.
 */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  return false;
}
