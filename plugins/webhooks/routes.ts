import { Elysia, t } from 'elysia';
import type { AuthService } from '../../src/kernel/auth.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import { HubError } from '../../src/kernel/errors.ts';
import { Integer } from '../../src/kernel/integer.ts';
import { errorResponses } from '../../src/kernel/schemas.ts';
import {
  AttemptSchema,
  CreatedEndpointSchema,
  CreateEndpointBody,
  DeliveryParams,
  DeliveryQuery,
  DeliverySchema,
  EndpointParams,
  EndpointSchema,
  PatchEndpointBody,
  RecoverBody,
  RotateBody,
  RotateResponse,
} from './api-schemas.ts';
import type { WebhooksService } from './service.ts';

/** `/webhooks`: endpoints, deliveries and their attempts, behind the admin token. */
export function webhookRoutes(service: WebhooksService, auth: AuthService, clock: Clock) {
  const deliveryOr404 = async (id: number) => {
    const delivery = await service.queries.get(id, clock.now());
    if (!delivery) throw new HubError('RELAYKIT_ERR_WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery has id ${id}`);
    return delivery;
  };

  return new Elysia({
    name: 'relaykit-webhooks',
    detail: { tags: ['webhooks'], security: [{ adminToken: [] }] },
  })
    .onBeforeHandle(async function requireAdmin({ request }) {
      auth.requireAdmin(request);
      // Another node may have changed endpoints (shared stores; nothing to do on SQLite).
      await service.endpoints.sync();
    })
    .post(
      '/webhooks/endpoints',
      async function createEndpoint({ body, set }) {
        const created = await service.create(body);
        set.status = 201;
        return created;
      },
      {
        parse: 'json',
        body: CreateEndpointBody,
        response: { 201: CreatedEndpointSchema, ...errorResponses(400, 401, 403, 415, 422) },
        detail: {
          operationId: 'createWebhookEndpoint',
          summary: 'Register a webhook endpoint',
          description:
            'The URL is checked against the SSRF guard (refused with the rule that refused it). The response is the only one, besides a rotation, that shows the signing secret.',
        },
      },
    )
    .get('/webhooks/endpoints', () => ({ endpoints: service.endpoints.all().map((e) => e.toApi()) }), {
      response: { 200: t.Object({ endpoints: t.Array(EndpointSchema) }), ...errorResponses(401, 403) },
      detail: { operationId: 'listWebhookEndpoints', summary: 'List webhook endpoints (without secrets)' },
    })
    .get('/webhooks/endpoints/:id', ({ params }) => service.require(params.id).toApi(), {
      params: EndpointParams,
      response: { 200: EndpointSchema, ...errorResponses(401, 403, 404) },
      detail: { operationId: 'getWebhookEndpoint', summary: 'Get one webhook endpoint' },
    })
    .patch('/webhooks/endpoints/:id', ({ params, body }) => service.update(params.id, body), {
      parse: 'json',
      params: EndpointParams,
      body: PatchEndpointBody,
      response: { 200: EndpointSchema, ...errorResponses(400, 401, 403, 404, 415, 422) },
      detail: {
        operationId: 'updateWebhookEndpoint',
        summary: 'Change a webhook endpoint',
        description:
          '`{"enabled": true}` re-enables an endpoint that was disabled (by hand, after failing, or by a 410); `{"enabled": false}` disables it and moves its pending deliveries to failed.',
      },
    })
    .delete(
      '/webhooks/endpoints/:id',
      async function deleteEndpoint({ params, set }) {
        await service.delete(params.id);
        set.status = 204;
      },
      {
        params: EndpointParams,
        response: { 204: t.Void(), ...errorResponses(401, 403, 404) },
        detail: {
          operationId: 'deleteWebhookEndpoint',
          summary: 'Delete a webhook endpoint',
          description:
            'Its pending deliveries are dropped; delivered and failed ones stay until retention removes them.',
        },
      },
    )
    .post(
      '/webhooks/endpoints/:id/rotate-secret',
      ({ params, body }) => service.rotate(params.id, body?.secret, body?.graceSeconds),
      {
        parse: 'json',
        params: EndpointParams,
        body: t.Optional(RotateBody),
        response: { 200: RotateResponse, ...errorResponses(400, 401, 403, 404, 422) },
        detail: {
          operationId: 'rotateWebhookSecret',
          summary: 'Rotate the signing secret',
          description:
            'Returns the new secret. During the grace period every attempt carries two signatures, one per secret, so receivers can switch at their own pace.',
        },
      },
    )
    .post(
      '/webhooks/endpoints/:id/test',
      function sendTestEvent({ params, set }) {
        set.status = 202;
        return service.sendTest(params.id);
      },
      {
        params: EndpointParams,
        response: { 202: DeliverySchema, ...errorResponses(401, 403, 404, 409) },
        detail: {
          operationId: 'testWebhookEndpoint',
          summary: 'Send a test event',
          description:
            'Queues a `webhook.test` event for this endpoint only; follow it with GET /webhooks/deliveries/{id}/attempts.',
        },
      },
    )
    .post(
      '/webhooks/endpoints/:id/recover',
      async ({ params, body }) => ({
        requeued: await service.recover(params.id, Date.parse(body.since), body.until ? Date.parse(body.until) : null),
      }),
      {
        parse: 'json',
        params: EndpointParams,
        body: RecoverBody,
        response: { 200: t.Object({ requeued: Integer() }), ...errorResponses(400, 401, 403, 404, 409, 422) },
        detail: {
          operationId: 'recoverWebhookDeliveries',
          summary: 'Re-queue failed deliveries since a time',
          description:
            'Every failed delivery of this endpoint created since `since` is sent again with a fresh retry schedule.',
        },
      },
    )
    .get(
      '/webhooks/deliveries',
      async function listDeliveries({ query }) {
        const deliveries = await service.queries.list({ ...query, limit: query.limit ?? 100 }, clock.now());
        return { deliveries, nextCursor: deliveries.at(-1)?.id ?? query.after ?? null };
      },
      {
        query: DeliveryQuery,
        response: {
          200: t.Object({
            deliveries: t.Array(DeliverySchema),
            nextCursor: t.Nullable(Integer({ description: 'Pass as `after` for the next page' })),
          }),
          ...errorResponses(400, 401, 403),
        },
        detail: { operationId: 'listWebhookDeliveries', summary: 'List webhook deliveries in ascending id order' },
      },
    )
    .get('/webhooks/deliveries/:id', ({ params }) => deliveryOr404(params.id), {
      params: DeliveryParams,
      response: { 200: DeliverySchema, ...errorResponses(400, 401, 403, 404) },
      detail: { operationId: 'getWebhookDelivery', summary: 'Get one webhook delivery' },
    })
    .get(
      '/webhooks/deliveries/:id/attempts',
      async ({ params }) => {
        await deliveryOr404(params.id);
        return { attempts: await service.queries.attempts(params.id) };
      },
      {
        params: DeliveryParams,
        response: { 200: t.Object({ attempts: t.Array(AttemptSchema) }), ...errorResponses(400, 401, 403, 404) },
        detail: {
          operationId: 'listWebhookAttempts',
          summary: 'The attempts of one delivery: time, status, latency and a response excerpt',
        },
      },
    )
    .post(
      '/webhooks/deliveries/:id/retry',
      function retryDelivery({ params, set }) {
        set.status = 202;
        return service.retry(params.id);
      },
      {
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...errorResponses(400, 401, 403, 404, 409) },
        detail: {
          operationId: 'retryWebhookDelivery',
          summary: 'Send one delivery again now',
          description:
            'Works for failed (dead-letter), delivered and waiting deliveries; it gets a fresh retry schedule.',
        },
      },
    );
}
