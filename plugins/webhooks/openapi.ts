import { type TSchema, Type } from '@sinclair/typebox';
import { CoreEvents, type EventName } from '../../src/kernel/events.ts';
import { MessageSchema } from '../../src/messages/routes.ts';
import { TEST_EVENT_TYPE, WebhookEvents } from './events.ts';

/**
 * The OpenAPI 3.1 `webhooks` section: one entry per event type a `standard` endpoint
 * can receive, each a POST of the Standard Webhooks envelope `{id, type, timestamp,
 * data}` with its signature headers, so webhook consumers can generate types. The
 * kernel's events and this plugin's own have typed `data`; events other plugins
 * declare (`emits`) are listed with the plugin that sends them. A test checks every
 * event on the bus is described and real deliveries match their schema.
 */

const at = Type.String({ format: 'date-time', description: 'When it happened' });
const transport = Type.String({ description: 'The transport, e.g. `ws` or `sse`' });
const pluginName = Type.Object({ name: Type.String({ description: 'The plugin' }), at });

/** `data` of each event whose payload the kernel or this plugin defines. */
export const EVENT_DATA: Record<string, { summary: string; data: TSchema }> = {
  [CoreEvents.messageSent]: { summary: 'A message was stored', data: MessageSchema },
  [CoreEvents.messageDelivered]: {
    summary: 'A recipient acknowledged a message',
    data: Type.Object({ id: Type.Integer(), by: Type.Union([Type.String(), Type.Null()]), at, message: MessageSchema }),
  },
  [CoreEvents.messageExpired]: {
    summary: 'Messages expired and were removed by retention (batched)',
    data: Type.Object({
      ids: Type.Array(Type.Integer()),
      types: Type.Array(Type.String()),
      archived: Type.Boolean({ description: 'Whether they were copied to the archive first' }),
      at,
    }),
  },
  [CoreEvents.clientConnected]: {
    summary: 'A realtime client connected',
    data: Type.Object({ clientId: Type.String(), transport, at }),
  },
  [CoreEvents.clientDisconnected]: {
    summary: 'A realtime client disconnected',
    data: Type.Object({ clientId: Type.String(), transport, at, reason: Type.Optional(Type.String()) }),
  },
  [CoreEvents.channelOccupied]: {
    summary: 'A channel got its first subscriber',
    data: Type.Object({ channel: Type.String(), transport, at }),
  },
  [CoreEvents.channelVacated]: {
    summary: 'A channel lost its last subscriber',
    data: Type.Object({ channel: Type.String(), transport, at }),
  },
  [CoreEvents.pluginEnabled]: { summary: 'A plugin started', data: pluginName },
  [CoreEvents.pluginDisabled]: { summary: 'A plugin stopped', data: pluginName },
  [CoreEvents.pluginReconfigured]: { summary: 'A plugin was restarted with new options', data: pluginName },
  [CoreEvents.errorOccurred]: {
    summary: 'Something went wrong that an operator should see',
    data: Type.Object({ source: Type.String(), code: Type.String(), message: Type.String(), at }),
  },
  [WebhookEvents.endpointDisabled]: {
    summary: 'A webhook endpoint was disabled',
    data: Type.Object({
      endpointId: Type.String(),
      url: Type.String(),
      reason: Type.String({ description: 'Why: by an admin, failing too long, or 410 Gone' }),
      consecutiveFailures: Type.Integer(),
      failingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      failedDeliveries: Type.Integer({ description: 'Pending deliveries moved to failed with it' }),
      at,
    }),
  },
  [WebhookEvents.deliveryExhausted]: {
    summary: 'A webhook delivery used up its retries (dead-lettered)',
    data: Type.Object({
      deliveryId: Type.Integer(),
      endpointId: Type.String(),
      eventId: Type.String(),
      eventType: Type.String(),
      attempts: Type.Integer(),
      lastStatus: Type.Union([Type.Integer(), Type.Null()]),
      lastError: Type.Union([Type.String(), Type.Null()]),
      at,
    }),
  },
  [TEST_EVENT_TYPE]: {
    summary: 'Sent by `POST /webhooks/endpoints/{id}/test` to that endpoint only',
    data: Type.Object({}, { additionalProperties: true }),
  },
} satisfies Partial<Record<EventName | typeof TEST_EVENT_TYPE, unknown>>;

/** The signature headers every delivery carries (https://www.standardwebhooks.com). */
const HEADERS = {
  'webhook-id': 'The event id (`msg_...`), the same on every retry: deduplicate on it',
  'webhook-timestamp': 'Unix seconds when this attempt was signed',
  'webhook-signature': 'Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, one per active secret',
};

function envelope(type: string, data: TSchema | Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    title: `${type} webhook`,
    required: ['id', 'type', 'timestamp', 'data'],
    properties: {
      id: { type: 'string', description: 'The event id, also in the `webhook-id` header' },
      type: { type: 'string', const: type },
      timestamp: { type: 'string', format: 'date-time' },
      data,
    },
  };
}

/**
 * The `webhooks` entries. `others` are events of other running plugins (name and the
 * plugin that emits them) whose payload this plugin does not define.
 */
export function webhookDocs(
  others: ReadonlyArray<{ event: string; plugin: string }>,
  schemas: Record<string, TSchema> = {},
): Record<string, unknown> {
  const entries: Array<[string, string, string, TSchema | Record<string, unknown>]> = [
    ...Object.entries(EVENT_DATA).map(
      ([type, e]) => [type, e.summary, '', e.data] as [string, string, string, TSchema],
    ),
    ...others
      .filter((o) => !(o.event in EVENT_DATA))
      .map(
        (o) =>
          [
            o.event,
            (schemas[o.event]?.description as string | undefined) ?? `An event of the ${o.plugin} plugin`,
            schemas[o.event] ? '' : `Its \`data\` is defined by the ${o.plugin} plugin (see its documentation).`,
            schemas[o.event] ?? { type: 'object', additionalProperties: true },
          ] as [string, string, string, Record<string, unknown>],
      ),
  ];
  return Object.fromEntries(
    entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, summary, description, data]) => [
        type,
        {
          post: {
            operationId: `webhook${type.replace(/(?:^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase())}`,
            summary,
            description:
              `${description} Sent to endpoints subscribed to \`${type}\` as a Standard Webhooks envelope (format \`standard\`; \`slack\`, \`discord\` and \`raw\` endpoints get other bodies). Answer 2xx to acknowledge; anything else is retried.`.trim(),
            tags: ['webhooks'],
            security: [],
            parameters: Object.entries(HEADERS).map(([name, text]) => ({
              name,
              in: 'header',
              required: true,
              description: text,
              schema: { type: 'string' },
            })),
            requestBody: {
              required: true,
              content: { 'application/json': { schema: envelope(type, data) } },
            },
            responses: {
              '200': { description: 'Received (any 2xx)' },
              '410': { description: 'Gone: the hub disables the endpoint' },
            },
          },
        },
      ]),
  );
}
