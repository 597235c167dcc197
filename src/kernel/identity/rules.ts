import type { Message, MessageInput } from '../../messages/types.ts';
import type { ClientAccess } from '../access.ts';
import { HubError } from '../errors.ts';

/**
 * The message rules every door applies, so REST, WebSocket, SSE and plugin routes
 * agree on what one identity may do with messages.
 */

/**
 * Checks that `access` may send `input` and fills `from`: the caller's own id unless
 * it names another one it may act as. Throws 403 naming what is not allowed.
 */
export function authorizeSend(access: ClientAccess, input: MessageInput): MessageInput {
  if (input.from !== undefined && input.from !== access.clientId && !access.canActAs(input.from)) {
    throw forbidden(`This caller may not send as "${input.from}"`, { from: input.from });
  }
  if (input.channel !== undefined && !access.canPublish(input.channel)) {
    throw forbidden(`This caller may not publish on "${input.channel}"`, { channel: input.channel });
  }
  if (input.to !== undefined && !access.canSendTo(input.to)) {
    throw forbidden(`This caller may not send direct messages to "${input.to}"`, { to: input.to });
  }
  const from = input.from ?? access.clientId ?? undefined;
  return from === undefined ? input : { ...input, from };
}

/** Whether `access` may read `client`'s direct messages (its own inbox, or one it may act as). */
export function canReadInbox(access: ClientAccess, client: string): boolean {
  return client === access.clientId || access.canActAs(client);
}

/** Throws 403 unless `access` may read `client`'s direct messages. */
export function requireInbox(access: ClientAccess, client: string): void {
  if (!canReadInbox(access, client)) {
    throw forbidden(`This caller may not read the messages of client "${client}"`, { client });
  }
}

/** Throws 403 unless `access` may read `channel`. */
export function requireReadable(access: ClientAccess, channel: string): void {
  if (!access.canSubscribe(channel)) throw forbidden(`This caller may not read channel "${channel}"`, { channel });
}

/** Whether `access` may see `message`: on a channel it reads, to or from a client it acts as. */
export function canReadMessage(access: ClientAccess, message: Pick<Message, 'from' | 'to' | 'channel'>): boolean {
  if (access.admin || access.readsAll) return true;
  if (message.channel !== null && access.canSubscribe(message.channel)) return true;
  if (message.to !== null && canReadInbox(access, message.to)) return true;
  return message.from !== null && canReadInbox(access, message.from);
}

/**
 * Whether `access` may change `message` (acknowledge it, extend its life): its
 * recipient, a caller acting as the recipient, or admin. A message without a
 * recipient may be changed by its sender.
 */
export function canChangeMessage(access: ClientAccess, message: Message): boolean {
  if (access.admin || access.readsAll) return true;
  const owner = message.to ?? message.from;
  return owner !== null && canReadInbox(access, owner);
}

function forbidden(message: string, details: Record<string, string>): HubError {
  return new HubError('RELAYKIT_ERR_FORBIDDEN', message, details);
}
