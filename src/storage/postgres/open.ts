import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Options, Sql } from 'postgres';
import { StorageError } from './errors.ts';
import { type PostgresTarget, parsePostgresUrl, redactUrl } from './url.ts';

/** A Drizzle database over postgres-js (a pool of connections; transactions are async and explicit). */
export type PostgresDatabase = PostgresJsDatabase<Record<string, never>>;

/** A transaction handle of `PostgresDatabase.transaction`. */
export type PostgresTransaction = Parameters<Parameters<PostgresDatabase['transaction']>[0]>[0];

/** An open PostgreSQL store: the Drizzle database, the raw driver for what Drizzle lacks, and how to close both. */
export interface PostgresStore {
  readonly db: PostgresDatabase;
  /** The postgres-js pool underneath (LISTEN/NOTIFY, `reserve()` for a dedicated connection). */
  readonly client: Sql;
  readonly target: PostgresTarget;
  /** Ends every connection, waiting at most `timeoutSeconds` for running queries. */
  close(timeoutSeconds?: number): Promise<void>;
}

export interface OpenPostgresOptions {
  /** Most connections in the pool. Default 10. */
  max?: number;
  /** Seconds to wait for a connection before giving up, unless the URL says `connect_timeout`. Default 10. */
  connectTimeoutSeconds?: number;
  /** The `application_name` the server shows in pg_stat_activity, unless the URL gives one. Default `relaykit`. */
  applicationName?: string;
  /** Server notices (`NOTICE: ... already exists, skipping`); ignored by default. */
  onNotice?(message: string): void;
  /** Environment for PGUSER / PGSSLMODE; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Error codes that mean "nothing answered" rather than "something answered no". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'CONNECT_TIMEOUT']);

/**
 * Opens a PostgreSQL store from a `postgres://` URL and checks that it answers.
 * postgres-js and drizzle-orm/postgres-js are imported here, on first use, so a
 * SQLite hub never loads them. Throws a StorageError: URL_INVALID for a URL it
 * cannot use, UNREACHABLE (one line naming host:port/db, password redacted) when
 * no session can be opened.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PostgresStore> {
  const target = parsePostgresUrl(url, options.env);
  const [{ default: postgres }, { drizzle }] = await Promise.all([
    import('postgres'),
    import('drizzle-orm/postgres-js'),
  ]);
  const params = new URL(target.driverUrl).searchParams;
  const driverOptions: Options<Record<string, never>> = {
    max: options.max ?? 10,
    ssl: sslOption(target),
    onnotice: (notice) => options.onNotice?.(String(notice.message)),
    connection: {
      ...(params.has('application_name') ? {} : { application_name: options.applicationName ?? 'relaykit' }),
      ...(target.schema ? { search_path: quoteIdentifier(target.schema) } : {}),
    },
  };
  if (!params.has('connect_timeout')) driverOptions.connect_timeout = options.connectTimeoutSeconds ?? 10;
  const client = postgres(target.driverUrl, driverOptions);
  try {
    await client`select 1`;
  } catch (err) {
    await client.end({ timeout: 0 }).catch(() => {});
    throw unreachable(target, url, err);
  }
  const db = drizzle(client) as PostgresDatabase;
  return {
    db,
    client,
    target,
    close: (timeoutSeconds = 5) => client.end({ timeout: timeoutSeconds }),
  };
}

/** libpq's sslmode in postgres-js terms. */
function sslOption(target: PostgresTarget): Options<Record<string, never>>['ssl'] {
  switch (target.sslmode) {
    case 'disable':
      return false;
    case 'verify-ca':
      // The chain must verify; the host name need not match (libpq's verify-ca).
      return { checkServerIdentity: () => undefined };
    case 'verify-full':
      return 'verify-full';
    default:
      return target.sslmode;
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function unreachable(target: PostgresTarget, url: string, err: unknown): StorageError {
  const code = (err as { code?: string })?.code ?? '';
  const reason = (err instanceof Error ? err.message : String(err)).replaceAll(target.password || '\0', '***');
  const what = UNREACHABLE.has(code) ? 'Cannot reach PostgreSQL' : 'Cannot open a session on PostgreSQL';
  return new StorageError(
    'RELAYKIT_ERR_STORAGE_UNREACHABLE',
    `${what} at ${target.label} (${redactUrl(url)}): ${reason}`,
    { cause: err },
  );
}
