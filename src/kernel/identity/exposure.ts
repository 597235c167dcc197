import { ConfigError } from '../../config/load.ts';

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** What the hub's listen address and its auth mode mean for who can reach it. */
export interface Exposure {
  /** Refuse to start: a non-loopback address while anyone could do anything. */
  refused?: string;
  /** Log at every start: open on purpose, beyond this machine. */
  warning?: string;
}

/**
 * Secure by default: a hub where callers without a token may do everything (no API
 * keys or JWTs) listens on loopback only. Any other address needs `auth.open: true`,
 * which is then repeated as a warning at every start.
 */
export function exposure(host: string, openMode: boolean, explicitOpen: boolean): Exposure {
  if (!openMode || isLoopback(host)) return {};
  if (!explicitOpen) {
    return {
      refused: `server.host is ${host} but no API keys or JWT verification are configured, so anyone who reaches it could read and send every message. Configure auth.apiKeys or auth.jwt, listen on 127.0.0.1, or set auth.open: true to allow it on purpose`,
    };
  }
  return {
    warning: `auth.open is true and the hub listens on ${host}: anyone who reaches it can read and send every message`,
  };
}

/** The error the hub starts with when `exposure` refuses. */
export function exposureError(reason: string, file?: string): ConfigError {
  return new ConfigError([{ path: 'server.host', message: reason }], file);
}
