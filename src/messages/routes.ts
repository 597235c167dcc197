import { Elysia, t } from 'elysia';
import { HubError } from '../kernel/errors.ts';
import { errorResponses } from '../kernel/schemas.ts';
import type { MessageService } from './service.ts';

/** Client ids, channel names and message types share one conservative character set. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:@/\\-]*$';

const ClientId = t.String({ minLength: 1, maxLength: 128, pattern: NAME_PATTERN, description: 'A client id' });
const ChannelName = t.String({ minLength: 1, maxLength: 200, pattern: NAME_PATTERN, description: 'A channel name' });
const MessageType = t.String({
  minLength: 1,
  maxLength: 128,
  pattern: NAME_PATTERN,
  description: 'The message type, e.g. `task.created`',
});

export const MessageSchema = t.Object(
  {
    id: t.Integer({ description: 'Monotonic per hub; use it as a resume cursor' }),
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
      t.Integer({ minimum: 1, description: 'Seconds until the message expires (capped by the ttl plugin)' }),
    ),
  },
  { additionalProperties: false, title: 'SendMessage' },
);

const IdParams = t.Object({ id: t.Integer({ minimum: 1, description: 'Message id' }) });

/** `/messages`: the bridge between clients. */
export function messageRoutes(messages: MessageService) {
  return new Elysia({ name: 'relaykit-messages', detail: { tags: ['messages'] } })
    .post(
      '/messages',
      async function sendMessage({ body, set }) {
        if (body.to === undefined && body.channel === undefined) {
          throw new HubError('RELAYKIT_ERR_VALIDATION', 'body: give `to` (a client id), `channel`, or both', [
            { in: 'body', path: '/', message: 'at least one of `to` and `channel` is required' },
          ]);
        }
        const message = await messages.send(body);
        set.status = 201;
        return message;
      },
      {
        parse: 'json',
        body: SendMessageBody,
        response: { 201: MessageSchema, ...errorResponses(400, 413, 415, 422) },
        detail: {
          operationId: 'sendMessage',
          summary: 'Send a message',
          description:
            'Stores the message (committed before the response: once acknowledged it is never lost), then publishes it to subscribers of its channel and to its recipient.',
        },
      },
    )
    .get(
      '/messages',
      async function listMessages({ query }) {
        const page = await messages.list({
          client: query.client,
          channel: query.channel,
          type: query.type,
          after: query.after,
          limit: query.limit ?? 100,
        });
        const last = page.at(-1);
        return { messages: page, nextCursor: last ? last.id : (query.after ?? null) };
      },
      {
        query: t.Object({
          client: t.Optional(t.String({ description: 'Only messages addressed to this client id' })),
          channel: t.Optional(t.String({ description: 'Only messages on this channel' })),
          type: t.Optional(t.String({ description: 'Only messages of this type' })),
          after: t.Optional(t.Integer({ minimum: 0, description: 'Cursor: only messages with a larger id' })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: t.Object({
            messages: t.Array(MessageSchema),
            nextCursor: t.Nullable(t.Integer({ description: 'Pass as `after` for the next page' })),
          }),
          ...errorResponses(400),
        },
        detail: { operationId: 'listMessages', summary: 'List messages in ascending id order' },
      },
    )
    .get(
      '/messages/:id',
      async function getMessage({ params }) {
        const message = await messages.get(params.id);
        if (!message) throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${params.id}`);
        return message;
      },
      {
        params: IdParams,
        response: { 200: MessageSchema, ...errorResponses(400, 404) },
        detail: { operationId: 'getMessage', summary: 'Get one message' },
      },
    )
    .post(
      '/messages/:id/ack',
      function ackMessage({ params, body }) {
        return messages.ack(params.id, body?.by);
      },
      {
        parse: 'json',
        params: IdParams,
        body: t.Optional(
          t.Object({ by: t.Optional(ClientId) }, { additionalProperties: false, description: 'Who acknowledges' }),
        ),
        response: { 200: MessageSchema, ...errorResponses(400, 404, 422) },
        detail: {
          operationId: 'ackMessage',
          summary: 'Acknowledge a message',
          description: 'Marks the message delivered and publishes `message.delivered` (the first time only).',
        },
      },
    );
}
