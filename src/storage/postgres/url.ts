import { StorageError } from './errors.ts';

/** libpq's sslmode values, with libpq's meanings. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** What a `postgres://` storage URL says, parsed once. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Decoded; never log it (use `label` or `redactUrl`). */
  password: string;
  /**
   * From `?sslmode=`, else `verify-full` when `sslrootcert=system`, else the PGSSLMODE
   * environment variable, else libpq's default `prefer`.
   */
  sslmode: SslMode;
  /**
   * From `?schema=`: the schema the hub's tables live in (created when missing, put
   * first on the connection's search_path). Null: the server's search_path decides
   * (usually `public`).
   */
  schema: string | null;
  /**
   * The URL handed to the driver: the original minus the parameters Relaykit
   * interprets itself (`schema`, `sslmode`). Other libpq-style parameters
   * (`application_name`, `connect_timeout`, `options`, `sslrootcert` ...) pass through.
   */
  driverUrl: string;
  /** `host:port/database`, for messages and logs. */
  label: string;
}

/** True for the URLs the PostgreSQL store handles (`postgres://` and `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=...&schema=...`. Throws a
 * StorageError (URL_INVALID) naming what is wrong; the message never holds the password.
 */
export function parsePostgresUrl(url: string, env: Record<string, string | undefined> = process.env): PostgresTarget {
  const invalid = (why: string) =>
    new StorageError('RELAYKIT_ERR_STORAGE_URL_INVALID', `storage.url ${redactUrl(url)}: ${why}`);
  if (!isPostgresUrl(url)) throw invalid('expected postgres://user:password@host:port/database');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('not a valid URL (percent-encode special characters in the user name and password)');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid('no host (postgres://user:password@host:port/database)');
  if (host.includes(',')) throw invalid('several hosts are not supported; give one host');
  const port = parsed.port ? Number(parsed.port) : 5432;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(parsed.username) || env.PGUSER || '';
  if (!database) throw invalid('no database name (postgres://user:password@host:port/database)');
  if (!user) throw invalid('no user name (postgres://user:password@host:port/database)');

  const params = parsed.searchParams;
  // libpq: sslrootcert=system without an sslmode means verify-full.
  const sslmode =
    params.get('sslmode') ?? (params.get('sslrootcert') === 'system' ? 'verify-full' : (env.PGSSLMODE ?? 'prefer'));
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw invalid(`sslmode=${sslmode} is not one of ${SSL_MODES.join(', ')}`);
  }
  const schema = params.get('schema');
  if (schema !== null && !IDENTIFIER.test(schema)) {
    throw invalid(`schema=${schema} is not a plain identifier (letters, digits, _ and $, at most 63)`);
  }
  if (schema !== null && /search_path/i.test(params.get('options') ?? '')) {
    throw invalid('give the schema once: either ?schema= or options=-c search_path=..., not both');
  }

  const driver = new URL(url);
  driver.searchParams.delete('schema');
  driver.searchParams.delete('sslmode');
  const label = `${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
  return {
    host,
    port,
    database,
    user,
    password: decodeURIComponent(parsed.password),
    sslmode: sslmode as SslMode,
    schema,
    driverUrl: driver.toString(),
    label,
  };
}

/**
 * The URL with its password replaced by `***` (in the user info and in a
 * `password=` parameter), for logs and error messages. Works on any URL-like
 * string, also ones `new URL` would refuse; a string without a password comes back unchanged.
 */
export function redactUrl(url: string): string {
  let out = url.replace(/([?&]password=)[^&#]*/gi, '$1***');
  const scheme = out.indexOf('://');
  if (scheme < 0) return out;
  const rest = out.slice(scheme + 3);
  // The host follows the last `@` before the query: an unencoded password may hold `@` or `/`
  // (a database name holding `@` hides a little more than needed, never less).
  const query = rest.search(/[?#]/);
  let at = rest.lastIndexOf('@', query < 0 ? rest.length : query);
  // None before it: the password itself may hold `?` or `#`.
  if (at < 0) at = rest.lastIndexOf('@');
  if (at < 0) return out;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return out;
  out = `${out.slice(0, scheme + 3)}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
  return out;
}
