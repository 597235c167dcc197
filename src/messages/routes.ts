import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { NAME_PATTERN, NameLimits } from '../../clients/realtime/src/wire.ts';
import type { ClientAccess } from '../kernel/access.ts';
import { remoteAddressOf } from '../kernel/app.ts';
import type { AuthService } from '../kernel/auth.ts';
import { HubError } from '../kernel/errors.ts';
import {
  authorizeSend,
  canChangeMessage,
  canReadMessage,
  requireInbox,
  requireReadable,
} from '../kernel/identity/rules.ts';
import { Integer } from '../kernel/integer.ts';
import { withDirectGet } from '../kernel/native-routes.ts';
import type { Quotas } from '../kernel/quotas.ts';
import { errorResponses } from '../kernel/schemas.ts';
import { asBody, type EncodedMessage, jsonResponse, messageJson } from './encode.ts';
import type { MessageService } from './service.ts';
import type { Message } from './types.ts';

/** Client ids, channel names and message types share one conservative character set (the shared wire definition). */
export { NAME_PATTERN };

const ClientId = t.String({
  minLength: 1,
  maxLength: NameLimits.clientId,
  pattern: NAME_PATTERN,
  description: 'A client id',
});
const ChannelName = t.String({
  minLength: 1,
  maxLength: NameLimits.channel,
  pattern: NAME_PATTERN,
  description: 'A channel name',
});
const MessageType = t.String({
  minLength: 1,
  maxLength: NameLimits.type,
  pattern: NAME_PATTERN,
  description: 'The message type, e.g. `task.created`',
});

export const MessageSchema = t.Object(
  {
    // A plain integer, not Elysia's string-or-integer `t.Integer`: a response schema without
    // a transform is checked by its compiled validator instead of walked by `Encode` on every
    // response (the same document: the OpenAPI generator shows both as an integer).
    id: Type.Integer({ description: 'Monotonic per hub; use it as a resume cursor' }),
    from: t.Nullable(t.String()),
    to: t.Nullable(t.String()),
    channel: t.Nullable(t.String()),
    type: t.String(),
    payload: t.Unknown(),
    createdAt: t.String({ format: 'date-time' }),
    expiresAt: t.Nullable(t.String({ format: 'date-time' })),
    deliveredAt: t.Nullable(t.String({ format: 'date-time' })),
  },
  { title: 'Message' },
);

export const SendMessageBody = t.Object(
  {
    from: t.Optional(ClientId),
    to: t.Optional(ClientId),
    channel: t.Optional(ChannelName),
    type: MessageType,
    payload: t.Unknown({ description: 'Any JSON value' }),
    ttl: t.Optional(
      Integer({ minimum: 1, description: 'Seconds until the message expires (capped by the ttl plugin)' }),
    ),
  },
  { additionalProperties: false, title: 'SendMessage' },
);

/** The request header that makes `POST /messages` safe to retry, and the one marking a replayed answer. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The request's idempotency key, or null without one; a malformed key is refused. */
export function idempotencyKeyOf(request: Request): string | null {
  const key = request.headers.get(IDEMPOTENCY_HEADER);
  if (key === null) return null;
  if (IDEMPOTENCY_KEY_PATTERN.test(key)) return key;
  throw new HubError('RELAYKIT_ERR_VALIDATION', 'Idempotency-Key: use 1-255 visible ASCII characters (e.g. a UUID)', [
    { in: 'headers', path: '/idempotency-key', message: 'expected 1-255 characters from ! to ~, no spaces' },
  ]);
}

const IdParams = t.Object({ id: Integer({ minimum: 1, description: 'Message id' }) });

/**
 * The message id a `/messages/:id...` URL names, or null when the id is not canonical:
 * only plain decimal digits of a safe integer name a message, never `0x10` read as 16,
 * `1e3`, leading zeros, a percent-encoded digit or an id above 2^53 rounded to a neighbour.
 */
export function canonicalIdOf(url: string): number | null {
  const raw = /\/messages\/([^/?#]*)/.exec(url)?.[1] ?? '';
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

/** Refuses ids the schema's number coercion would bend (see `canonicalIdOf`). */
export function requireCanonicalId(request: Request): void {
  if (canonicalIdOf(request.url) !== null) return;
  throw new HubError('RELAYKIT_ERR_VALIDATION', 'id: a message id is a decimal integer from 1 to 2^53 - 1', [
    { in: 'params', path: '/id', message: 'expected plain decimal digits of a safe integer' },
  ]);
}

/** `/messages`: the bridge between clients. */
export function messageRoutes(messages: MessageService, auth: AuthService, quotas: Quotas, maxPageBytes: () => number) {
  /**
   * `GET /messages/:id` for the caller of `request`. Without a JWT to verify, and on a
   * store that reads at once (SQLite), nothing here waits: the answer comes in one step.
   */
  const readMessage = (request: Request, id: number): Response | Promise<Response> => {
    const who = auth.identifyNow(request);
    return who instanceof Promise ? who.then((access) => readAs(access, id)) : readAs(who, id);
  };
  const readAs = (access: ClientAccess, id: number): Response | Promise<Response> => {
    // Read as the JSON it is sent as: the stored payload text is not parsed and serialized again.
    const read = messages.getEncoded(id);
    return read instanceof Promise ? read.then((message) => answer(access, id, message)) : answer(access, id, read);
  };
  const answer = (access: ClientAccess, id: number, message: EncodedMessage | null): Response => {
    // A message the caller may not read is reported missing: its existence is not leaked.
    if (!message || !canReadMessage(access, message.head)) {
      throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${id}`);
    }
    return jsonResponse(message.json);
  };
  // Elysia's handler: parameter checks, then the read. The direct answer below skips
  // Elysia where a runtime router matched the route, and hands any id that is not
  // canonical back to this handler, so odd ids get exactly the errors they always got.
  const getMessage = withDirectGet(
    async function getMessage({ params, request }: { params: { id: number }; request: Request }) {
      requireCanonicalId(request);
      return asBody<Message>(await readMessage(request, params.id));
    },
    (request) => {
      const id = canonicalIdOf(request.url);
      return id === null ? undefined : readMessage(request, id);
    },
  );
  return new Elysia({ name: 'relaykit-messages', detail: { tags: ['messages'] } })
    .post(
      '/messages',
      async function sendMessage({ body, request }) {
        if (body.to === undefined && body.channel === undefined) {
          throw new HubError('RELAYKIT_ERR_VALIDATION', 'body: give `to` (a client id), `channel`, or both', [
            { in: 'body', path: '/', message: 'at least one of `to` and `channel` is required' },
          ]);
        }
        const key = idempotencyKeyOf(request);
        const access = await auth.identify(request);
        const input = authorizeSend(access, body);
        quotas.admitMessage(access, () => remoteAddressOf(request), input.payload);
        // The payload goes out as the JSON text just stored, not serialized a second time (encode.ts).
        if (key === null) return asBody<Message>(jsonResponse(messageJson(await messages.send(input)), 201));
        const scope = access.subject ?? `ip:${remoteAddressOf(request)}`;
        const { message, replayed } = await messages.sendOnce(input, { scope, key });
        return asBody<Message>(
          jsonResponse(messageJson(message), 201, replayed ? { [REPLAYED_HEADER]: 'true' } : undefined),
        );
      },
      {
        parse: 'json',
        body: SendMessageBody,
        response: { 201: MessageSchema, ...errorResponses(400, 401, 403, 409, 410, 413, 415, 422, 429) },
        detail: {
          operationId: 'sendMessage',
          summary: 'Send a message (retry safely with an Idempotency-Key header)',
          description:
            "Stores the message (committed before the response: once acknowledged it is never lost), then publishes it to subscribers of its channel and to its recipient. `from` defaults to the caller's client id; another one needs a key that may act as it.\n\n" +
            'Send an `Idempotency-Key` header (1-255 visible ASCII characters, e.g. a UUID) to retry safely: a retry with the same key and the same body within `messages.idempotencyWindowSeconds` (default 24 h), on any node, answers 201 with the original message and the header `Idempotent-Replayed: true`, and stores nothing. The same key with a different body is refused with 409 `RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED`; 410 `RELAYKIT_ERR_IDEMPOTENT_MESSAGE_GONE` when the original message has expired since. Keys are scoped to the caller (its API key, JWT subject, or address when anonymous).',
        },
      },
    )
    .get(
      '/messages',
      async function listMessages({ query, request }) {
        const access = await auth.identify(request);
        if (query.client !== undefined) requireInbox(access, query.client);
        if (query.channel !== undefined) requireReadable(access, query.channel);
        if (query.client === undefined && query.channel === undefined && !access.readsAll) {
          throw new HubError('RELAYKIT_ERR_FORBIDDEN', 'Give `client` (your own id) or `channel` (one you may read)');
        }
        const page = await messages.list({
          client: query.client,
          channel: query.channel,
          type: query.type,
          after: query.after,
          limit: query.limit ?? 100,
          maxBytes: maxPageBytes(),
        });
        const last = page.at(-1);
        return { messages: page, nextCursor: last ? last.id : (query.after ?? null) };
      },
      {
        query: t.Object({
          client: t.Optional(t.String({ description: 'Only messages addressed to this client id' })),
          channel: t.Optional(t.String({ description: 'Only messages on this channel' })),
          type: t.Optional(t.String({ description: 'Only messages of this type' })),
          after: t.Optional(Integer({ minimum: 0, description: 'Cursor: only messages with a larger id' })),
          limit: t.Optional(Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: t.Object({
            messages: t.Array(MessageSchema),
            nextCursor: t.Nullable(Integer({ description: 'Pass as `after` for the next page' })),
          }),
          ...errorResponses(400, 401, 403),
        },
        detail: {
          operationId: 'listMessages',
          summary: 'List messages in ascending id order',
          description:
            "`client` must be the caller's own id (or one its key may act as) and `channel` one it may read; only admin and open mode may list without either. A page holds at most `limit` messages and about `limits.maxPageBytes` of payload (4 MiB by default): a page of large messages stops early, and `nextCursor` continues it.",
        },
      },
    )
    .get('/messages/:id', getMessage, {
      params: IdParams,
      response: { 200: MessageSchema, ...errorResponses(400, 401, 404) },
      detail: { operationId: 'getMessage', summary: 'Get one message' },
    })
    .post(
      '/messages/:id/ack',
      async function ackMessage({ params, body, request }) {
        requireCanonicalId(request);
        const access = await auth.identify(request);
        const message = await messages.get(params.id);
        if (!message || !canReadMessage(access, message)) {
          throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${params.id}`);
        }
        const by = body?.by ?? access.clientId ?? undefined;
        if (
          !canChangeMessage(access, message) ||
          (by !== undefined && by !== access.clientId && !access.canActAs(by))
        ) {
          throw new HubError('RELAYKIT_ERR_FORBIDDEN', 'Only the recipient (or a key that may act as it) acknowledges');
        }
        return messages.ack(params.id, by);
      },
      {
        parse: 'json',
        params: IdParams,
        body: t.Optional(
          t.Object({ by: t.Optional(ClientId) }, { additionalProperties: false, description: 'Who acknowledges' }),
        ),
        response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404, 422) },
        detail: {
          operationId: 'ackMessage',
          summary: 'Acknowledge a message',
          description: 'Marks the message delivered and publishes `message.delivered` (the first time only).',
        },
      },
    );
}
