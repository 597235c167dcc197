import type { Static } from '@sinclair/typebox';
import { t } from 'elysia';
import { Integer } from '../../src/kernel/integer.ts';
import type {
  AttemptOutcome,
  DeliveryStatus,
  DisabledReason as DisabledReasonValue,
  EndpointFormat,
  FailureReason as FailureReasonValue,
} from './schema.ts';

/** Request and response schemas of the webhooks API (OpenAPI comes from these). */

// Explicit unions of literals: t.UnionEnum fills its first value in as a default, which
// would rewrite `format` on every PATCH. `satisfies` keeps them in step with schema.ts.
const Format = t.Union([t.Literal('standard'), t.Literal('slack'), t.Literal('discord'), t.Literal('raw')], {
  description:
    'standard: signed JSON envelope; slack / discord: one-line chat message; raw: the body and x- headers the event carries (Pusher-format webhooks)',
});
const Status = t.Union([t.Literal('pending'), t.Literal('delivered'), t.Literal('failed')], {
  description: 'pending (waiting, retrying or in flight), delivered, or failed (dead letter)',
});
const DisabledReason = t.Union([t.Literal('manual'), t.Literal('failing'), t.Literal('gone')], {
  description: 'Why it is disabled: by an admin, after failing too long, or a 410 Gone',
});
const FailureReason = t.Union([t.Literal('exhausted'), t.Literal('endpoint_disabled')], {
  description: 'Why it failed: retries used up, or its endpoint was disabled',
});
const Outcome = t.Union(
  [
    t.Literal('success'),
    t.Literal('http_error'),
    t.Literal('timeout'),
    t.Literal('network_error'),
    t.Literal('refused'),
  ],
  { description: 'What happened' },
);
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<Static<typeof Format>, EndpointFormat> &
  Same<Static<typeof Status>, DeliveryStatus> &
  Same<Static<typeof DisabledReason>, DisabledReasonValue> &
  Same<Static<typeof FailureReason>, FailureReasonValue> &
  Same<Static<typeof Outcome>, AttemptOutcome>;

const Iso = (description: string) => t.String({ format: 'date-time', description });
const NullableIso = (description: string) => t.Nullable(t.String({ format: 'date-time' }), { description });

const EventPattern = t.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_.:*-]+$',
  description: 'An event name or a pattern with `*` wildcards: `message.sent`, `message.*`, `error.occurred`, `*`',
});
const ChannelPattern = t.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9_.:@/*-]+$',
  description: 'A channel name or a pattern with `*` wildcards',
});

const fields = {
  url: t.String({ minLength: 1, maxLength: 2048, description: 'Where deliveries are POSTed (http or https)' }),
  description: t.String({ maxLength: 500, description: 'A note for humans' }),
  events: t.Array(EventPattern, { minItems: 1, maxItems: 100, description: 'Event types this endpoint receives' }),
  channels: t.Nullable(t.Array(ChannelPattern, { maxItems: 100 }), {
    description: 'Only events on these channels (events without a channel are then left out); null for all',
  }),
  format: Format,
  enabled: t.Boolean({ description: 'false stops deliveries (pending ones move to failed; recover them later)' }),
  headers: t.Record(
    t.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }),
    t.String({ maxLength: 4096, pattern: '^[^\\r\\n]*$' }),
    { maxProperties: 32, description: 'Extra request headers (e.g. an Authorization for the receiver)' },
  ),
  retrySchedule: t.Nullable(t.Array(Integer({ minimum: 0, maximum: 604_800 }), { maxItems: 50 }), {
    description: "Seconds before each retry, overriding the plugin's schedule; null for the plugin's",
  }),
  timeoutMs: t.Nullable(Integer({ minimum: 100, maximum: 120_000 }), {
    description: "Attempt timeout overriding the plugin's; null for the plugin's",
  }),
};

const SecretField = t.String({
  minLength: 10,
  maxLength: 200,
  description: '`whsec_` + base64 of 24 to 64 bytes; generated when not given',
});

export const CreateEndpointBody = t.Object(
  {
    url: fields.url,
    description: t.Optional(fields.description),
    events: fields.events,
    channels: t.Optional(fields.channels),
    format: t.Optional(fields.format),
    enabled: t.Optional(fields.enabled),
    headers: t.Optional(fields.headers),
    secret: t.Optional(SecretField),
    retrySchedule: t.Optional(fields.retrySchedule),
    timeoutMs: t.Optional(fields.timeoutMs),
  },
  { additionalProperties: false, title: 'CreateWebhookEndpoint' },
);

export const PatchEndpointBody = t.Object(
  {
    url: t.Optional(fields.url),
    description: t.Optional(fields.description),
    events: t.Optional(fields.events),
    channels: t.Optional(fields.channels),
    format: t.Optional(fields.format),
    enabled: t.Optional(fields.enabled),
    headers: t.Optional(fields.headers),
    retrySchedule: t.Optional(fields.retrySchedule),
    timeoutMs: t.Optional(fields.timeoutMs),
  },
  { additionalProperties: false, title: 'PatchWebhookEndpoint' },
);

const endpointProperties = {
  id: t.String({ description: 'ep_…' }),
  url: fields.url,
  description: fields.description,
  events: t.Array(t.String()),
  channels: t.Nullable(t.Array(t.String())),
  format: fields.format,
  enabled: t.Boolean(),
  disabledReason: t.Nullable(DisabledReason),
  headers: t.Array(t.String(), {
    description: 'Names of the extra request headers; their values are write-only (never shown, sealed at rest)',
  }),
  retrySchedule: t.Nullable(t.Array(Integer())),
  timeoutMs: t.Nullable(Integer()),
  consecutiveFailures: Integer({ description: 'Failed attempts since the last success' }),
  failingSince: NullableIso('Start of the current run of failures'),
  previousSecretExpiresAt: NullableIso('Until when the previous secret also signs (after a rotation)'),
  createdAt: Iso('Created'),
  updatedAt: Iso('Last changed'),
};

export const EndpointSchema = t.Object(endpointProperties, { title: 'WebhookEndpoint' });

export const CreatedEndpointSchema = t.Object(
  { ...endpointProperties, secret: t.String({ description: 'The signing secret: shown now and at rotation only' }) },
  { title: 'CreatedWebhookEndpoint' },
);

export const RotateBody = t.Object(
  {
    secret: t.Optional(SecretField),
    graceSeconds: t.Optional(
      Integer({ minimum: 0, description: "How long the previous secret keeps signing (default: the plugin's)" }),
    ),
  },
  { additionalProperties: false },
);

export const RotateResponse = t.Object({
  secret: t.String({ description: 'The new signing secret' }),
  previousSecretExpiresAt: NullableIso('Until when the previous secret also signs'),
});

export const RecoverBody = t.Object(
  {
    since: Iso('Re-queue failed deliveries created at or after this time'),
    until: t.Optional(Iso('… and at or before this time')),
  },
  { additionalProperties: false },
);

export const DeliverySchema = t.Object(
  {
    id: Integer(),
    eventId: t.String({ description: 'The webhook-id header of every attempt (receivers de-duplicate on it)' }),
    eventType: t.String(),
    messageId: t.Nullable(Integer({ description: 'The message, for message.sent' })),
    endpointId: t.String(),
    status: Status,
    failureReason: t.Nullable(FailureReason),
    attempts: Integer(),
    nextAttemptAt: NullableIso('When the next attempt is due (pending only)'),
    inFlight: t.Boolean(),
    lastStatus: t.Nullable(Integer()),
    lastError: t.Nullable(t.String()),
    createdAt: Iso('Enqueued'),
    finishedAt: NullableIso('Delivered or failed'),
  },
  { title: 'WebhookDelivery' },
);

export const AttemptSchema = t.Object(
  {
    id: Integer(),
    deliveryId: Integer(),
    attempt: Integer({ description: '1 for the first attempt' }),
    startedAt: Iso('When it started'),
    durationMs: Integer(),
    outcome: Outcome,
    status: t.Nullable(Integer({ description: 'HTTP status, when a response came' })),
    error: t.Nullable(t.String()),
    responseExcerpt: t.Nullable(t.String({ description: 'The start of the response body (at most 4 KB)' })),
  },
  { title: 'WebhookAttempt' },
);

export const DeliveryQuery = t.Object({
  endpoint: t.Optional(t.String({ description: 'Only deliveries to this endpoint' })),
  status: t.Optional(Status),
  after: t.Optional(Integer({ minimum: 0, description: 'Cursor: only deliveries with a larger id' })),
  limit: t.Optional(Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const EndpointParams = t.Object({ id: t.String({ description: 'Endpoint id' }) });
export const DeliveryParams = t.Object({ id: Integer({ minimum: 1, description: 'Delivery id' }) });
