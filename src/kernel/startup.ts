import type { HubConfig } from '../config/schema.ts';
import { redactUrl } from '../storage/postgres/url.ts';

/**
 * A start-up failure the operator can fix without a stack trace (the port is taken,
 * the address cannot be bound). The CLI prints its message as one line and exits 1.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** Turns the runtime's bind failure into a StartupError that names the address. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: string } | null)?.code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new StartupError(`cannot listen on ${where}: the address is already in use (is another hub running?)`, {
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new StartupError(
      `cannot listen on ${where}: ${code === 'EACCES' ? 'permission denied' : 'no such address on this machine'}`,
      {
        cause: err,
      },
    );
  }
  return err;
}

/** What the ready line says about the running hub. */
export interface ReadyFacts {
  /** The address the server really listens on. */
  url: string;
  /** `open` when no credential is configured (anyone who reaches the hub may act), else `token`. */
  access: 'open' | 'token';
  /** The config file read, or null when none was found and the defaults apply. */
  configFile: string | null;
  config: HubConfig;
  plugins: string[];
}

/** How clients and operators authenticate, in a few words. */
export function authMode(config: HubConfig): string {
  const jwt = config.auth.jwt;
  const realtime =
    jwt.secret || jwt.publicKey || jwt.jwksUrl ? (jwt.required ? 'jwt required' : 'jwt optional') : 'open';
  return `realtime ${realtime}, admin ${config.auth.adminToken ? 'token' : 'disabled'}`;
}

/**
 * The fields of the one "relaykit ready" log line: where it listens, which config
 * file it read, its store, its auth mode and its plugins. Built here, in one place.
 */
export function readyLine(facts: ReadyFacts): Record<string, unknown> {
  return {
    url: facts.url,
    access: facts.access,
    config: facts.configFile ?? 'none, defaults',
    // Log lines never carry a database password.
    store: redactUrl(facts.config.storage.url),
    auth: authMode(facts.config),
    plugins: facts.plugins,
  };
}
