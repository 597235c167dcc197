import { type ClientAccess, isSystemChannel, systemEventPattern } from '../../src/kernel/access.ts';
import { HubError } from '../../src/kernel/errors.ts';
import { NAME_PATTERN } from '../../src/messages/routes.ts';
import type { StreamFilter } from './stream.ts';

/** What a stream request asks for, as given in its query string. */
export interface FilterRequest {
  clientId?: string;
  /** Comma-separated channel names (`$hub:` system channels and `*` included). */
  channels?: string;
  /** Comma-separated message types. */
  subscribe?: string;
}

export interface FilterLimits {
  maxChannels: number;
  maxTypes: number;
  /** Channel every stream receives, whatever it asked for. */
  broadcastChannel: string;
}

/** `channels=*`: every message, whatever its channel or recipient. */
export const ALL_CHANNELS = '*';

const NAME = new RegExp(NAME_PATTERN);
/** Shared by every stream without system channels. */
const NONE: readonly string[] = Object.freeze([]);
const EVENT_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/;

/**
 * Turns a request's channels, types and client id into the stream's filter, checking
 * every name and the client's rights:
 * - an ordinary channel must be a valid name its token allows (`channels` claim);
 * - a `$hub:<event pattern>` system channel and `*` need the admin token or a JWT
 *   with `system: true`;
 * - `client_id` must be the caller's own id or one it may act as (open mode: any);
 *   without one the stream takes the caller's id, or a generated one.
 */
export function parseFilter(request: FilterRequest, access: ClientAccess, limits: FilterLimits): StreamFilter {
  const requested = splitList(request.channels);
  const types = splitList(request.subscribe);
  if (requested.length > limits.maxChannels) {
    throw badFilter(`channels: at most ${limits.maxChannels} channels per stream (got ${requested.length})`);
  }
  if (types.length > limits.maxTypes) {
    throw badFilter(`subscribe: at most ${limits.maxTypes} types per stream (got ${types.length})`);
  }
  for (const type of types) {
    if (type.length > 128 || !NAME.test(type))
      throw badFilter(`subscribe: "${clip(type)}" is not a valid message type`);
  }

  const channels = new Set<string>();
  const system = new Set<string>();
  let all = false;
  for (const channel of requested) {
    if (channel === ALL_CHANNELS || isSystemChannel(channel)) {
      if (!access.system) {
        throw new HubError(
          'RELAYKIT_ERR_SSE_CHANNEL_FORBIDDEN',
          `"${clip(channel)}" needs the admin token or a token with the system claim`,
          { channel },
        );
      }
      if (channel === ALL_CHANNELS) {
        all = true;
        continue;
      }
      const pattern = systemEventPattern(channel);
      if (!EVENT_PATTERN.test(pattern)) throw badFilter(`channels: "${clip(channel)}" is not a valid system channel`);
      system.add(pattern);
      continue;
    }
    if (channel.length > 200 || !NAME.test(channel)) {
      throw badFilter(`channels: "${clip(channel)}" is not a valid channel name`);
    }
    if (!access.canSubscribe(channel)) {
      throw new HubError('RELAYKIT_ERR_SSE_CHANNEL_FORBIDDEN', `The token does not allow channel "${channel}"`, {
        channel,
      });
    }
    channels.add(channel);
  }
  channels.add(limits.broadcastChannel);

  if (request.clientId !== undefined && request.clientId !== access.clientId && !access.canActAs(request.clientId)) {
    throw new HubError(
      'RELAYKIT_ERR_SSE_CLIENT_ID_MISMATCH',
      access.clientId
        ? `client_id "${request.clientId}" differs from the token subject "${access.clientId}"`
        : `client_id "${request.clientId}" needs a token for that client (or a key that may act as it)`,
    );
  }
  return {
    clientId: request.clientId ?? access.clientId ?? `sse-${crypto.randomUUID()}`,
    channels: [...channels],
    all,
    system: system.size ? [...system] : NONE,
    types: types.length ? new Set(types) : null,
  };
}

/** `a, b,,c` → [a, b, c], without duplicates. */
function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function badFilter(message: string): HubError {
  return new HubError('RELAYKIT_ERR_SSE_BAD_FILTER', message);
}

/** User input echoed in an error stays short. */
function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 61)}...` : value;
}
