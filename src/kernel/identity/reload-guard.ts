import type { HubConfig } from '../../config/schema.ts';
import { HubError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { diffAuth } from './auth-changes.ts';

/** What a reload read, and where from. */
export interface ReloadRead {
  config: HubConfig;
  /** Whether the file exists. */
  found: boolean;
  /** Whether it is empty. */
  empty: boolean;
}

/** Where the running configuration came from. */
export interface RunningSource {
  path: string;
  /** Whether the running configuration was read from an existing file. */
  fromFile: boolean;
}

/**
 * Fails closed: a config file that disappeared, is empty or would weaken auth is
 * refused at error level (the caller keeps the running config serving). Other auth
 * changes are logged with the fields that changed, never their values. Returns the
 * refusal to count, or throws it.
 */
export function checkAuthReload(current: HubConfig, next: ReloadRead, source: RunningSource, log: Logger): void {
  const { weaker, changed } = diffAuth(current.auth, next.config.auth);
  const problem =
    !next.found && source.fromFile
      ? `the config file ${source.path} is gone`
      : next.empty && source.fromFile
        ? `the config file ${source.path} is empty`
        : weaker.length
          ? `it would weaken auth (${weaker.join(', ')}); weakening auth takes a restart`
          : null;
  if (problem) {
    log.error({ weaker }, `configuration refused: ${problem}; the running configuration keeps serving`);
    throw new HubError('RELAYKIT_ERR_CONFIG_INVALID', `Configuration refused: ${problem}`);
  }
  if (changed.length) log.warn({ changed }, 'auth configuration changed');
}
