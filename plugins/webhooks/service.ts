import { eq } from 'drizzle-orm';
import type { EventBus } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import { HubError } from '../../src/kernel/errors.ts';
import type { RelaykitEvents } from '../../src/kernel/events.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import type { Database } from '../../src/storage/storage.ts';
import type { CachedEndpoint, Endpoint, EndpointStore } from './endpoints.ts';
import './errors.ts';
import { TEST_EVENT_TYPE } from './events.ts';
import { type AddressGuard, UrlRefused } from './guard.ts';
import type { WebhooksOptions } from './options.ts';
import type { Outbox } from './outbox.ts';
import type { Delivery, DeliveryQueries } from './queries.ts';
import type { RetryPolicy } from './retry.ts';
import type { DisabledReason, EndpointFormat, EndpointRow } from './schema.ts';
import { generateSecret, secretProblem } from './signing.ts';
import type { WebhookTables } from './tables.ts';

/** Fields an admin sets on an endpoint (create takes them all, PATCH any subset). */
export interface EndpointInput {
  url: string;
  description?: string;
  events: string[];
  channels?: string[] | null;
  format?: EndpointFormat;
  enabled?: boolean;
  headers?: Record<string, string>;
  secret?: string;
  retrySchedule?: number[] | null;
  timeoutMs?: number | null;
}

export type EndpointPatch = Partial<Omit<EndpointInput, 'secret'>>;

/** Headers every attempt sets itself. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

type DisabledEvent = RelaykitEvents['webhook.endpoint.disabled'];

/** Endpoint lifecycle and the admin operations on deliveries. */
export class WebhooksService {
  constructor(
    private readonly storage: PluginStorage,
    private readonly t: WebhookTables,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly options: WebhooksOptions,
    readonly endpoints: EndpointStore,
    readonly outbox: Outbox,
    readonly queries: DeliveryQueries,
    private readonly guard: AddressGuard,
    /** Wakes the worker: there is new work due now. */
    private readonly wake: () => void,
  ) {}

  async create(input: EndpointInput): Promise<Endpoint & { secret: string }> {
    await this.checkUrl(input.url);
    checkHeaders(input.headers ?? {});
    const secret = input.secret ?? generateSecret(this.options.signing.secretBytes);
    checkSecret(secret);
    const endpoint = await this.endpoints.insert({
      url: input.url,
      description: input.description ?? '',
      events: input.events,
      channels: input.channels?.length ? input.channels : null,
      format: input.format ?? 'standard',
      enabled: input.enabled ?? true,
      disabledReason: input.enabled === false ? 'manual' : null,
      headers: input.headers ?? {},
      secret,
      previousSecret: null,
      previousSecretExpiresAt: null,
      retrySchedule: input.retrySchedule ?? null,
      timeoutMs: input.timeoutMs ?? null,
      consecutiveFailures: 0,
      failingSince: null,
    });
    return { ...endpoint.toApi(), secret };
  }

  async update(id: string, patch: EndpointPatch): Promise<Endpoint> {
    const current = this.require(id);
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    if (patch.headers !== undefined) checkHeaders(patch.headers);
    const values: Partial<EndpointRow> = {};
    if (patch.url !== undefined) values.url = patch.url;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.events !== undefined) values.events = patch.events;
    if (patch.channels !== undefined) values.channels = patch.channels?.length ? patch.channels : null;
    if (patch.format !== undefined) values.format = patch.format;
    if (patch.headers !== undefined) values.headers = patch.headers;
    if (patch.retrySchedule !== undefined) values.retrySchedule = patch.retrySchedule;
    if (patch.timeoutMs !== undefined) values.timeoutMs = patch.timeoutMs;
    if (patch.enabled === true && !current.row.enabled) {
      Object.assign(values, { enabled: true, disabledReason: null, consecutiveFailures: 0, failingSince: null });
    }
    let disabled: DisabledEvent | null = null;
    const updated = await this.storage.transaction(async (tx) => {
      if (patch.enabled === false && current.row.enabled) disabled = await this.disable(tx, current, 'manual');
      return Object.keys(values).length ? this.endpoints.update(id, values, tx) : this.require(id);
    });
    if (disabled) this.bus.publish('webhook.endpoint.disabled', disabled);
    return updated.toApi();
  }

  /** Deletes the endpoint and its pending deliveries; delivered and failed ones stay until retention. */
  async delete(id: string): Promise<void> {
    this.require(id);
    await this.storage.transaction(async (tx) => {
      await this.outbox.dropPending(tx, id);
      await this.endpoints.remove(id, tx);
    });
  }

  /** A new secret; the previous one keeps signing during the grace period. */
  async rotate(id: string, secret: string | undefined, graceSeconds: number | undefined) {
    const current = this.require(id);
    const next = secret ?? generateSecret(this.options.signing.secretBytes);
    checkSecret(next);
    const grace = graceSeconds ?? this.options.signing.rotationGraceSeconds;
    const expiresAt = grace > 0 ? this.clock.now() + grace * 1000 : null;
    const updated = await this.endpoints.update(id, {
      secret: next,
      previousSecret: expiresAt === null ? null : current.row.secret,
      previousSecretExpiresAt: expiresAt,
    });
    return { secret: next, previousSecretExpiresAt: updated.toApi().previousSecretExpiresAt };
  }

  /** Queues a `webhook.test` event for this endpoint only. */
  async sendTest(id: string): Promise<Delivery> {
    const endpoint = this.requireEnabled(id);
    const deliveryId = await this.outbox.enqueueOne(
      TEST_EVENT_TYPE,
      { endpointId: id, message: 'A test event from Relaykit: this endpoint receives webhooks' },
      endpoint,
    );
    this.wake();
    return (await this.queries.get(deliveryId, this.clock.now())) as Delivery;
  }

  /** Sends one delivery again now, with a fresh retry schedule (whatever its status). */
  async retry(deliveryId: number): Promise<Delivery> {
    const now = this.clock.now();
    const delivery = await this.queries.get(deliveryId, now);
    if (!delivery)
      throw new HubError('RELAYKIT_ERR_WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery has id ${deliveryId}`);
    if (delivery.inFlight) throw new HubError('RELAYKIT_ERR_WEBHOOK_DELIVERY_IN_FLIGHT');
    this.requireEnabled(delivery.endpointId);
    await this.outbox.requeue(eq(this.t.deliveries.id, deliveryId));
    this.wake();
    return (await this.queries.get(deliveryId, now)) as Delivery;
  }

  /** Re-queues every failed delivery of the endpoint created since `since` (and until `until`). */
  async recover(id: string, since: number, until: number | null): Promise<number> {
    this.requireEnabled(id);
    const requeued = await this.outbox.recover(id, since, until);
    if (requeued) this.wake();
    return requeued;
  }

  /**
   * Disables an endpoint inside `tx`: its pending deliveries move to failed (recover
   * them once it is fixed). Returns the event to publish after the commit.
   */
  async disable(tx: Database, endpoint: CachedEndpoint, reason: DisabledReason): Promise<DisabledEvent> {
    const failedDeliveries = await this.outbox.failPending(tx, endpoint.id, 'endpoint_disabled');
    const updated = await this.endpoints.update(endpoint.id, { enabled: false, disabledReason: reason }, tx);
    return {
      endpointId: endpoint.id,
      url: updated.row.url,
      reason,
      consecutiveFailures: updated.row.consecutiveFailures,
      failingSince: updated.toApi().failingSince,
      failedDeliveries,
      at: new Date(this.clock.now()).toISOString(),
    };
  }

  /** The retry policy of an endpoint: its own schedule, or the plugin's. */
  policy(endpoint: CachedEndpoint): RetryPolicy {
    const { retrySchedule, jitter, retryAfterMaxSeconds } = this.options.delivery;
    return { schedule: endpoint.row.retrySchedule ?? retrySchedule, jitter, retryAfterMaxSeconds };
  }

  timeoutMs(endpoint: CachedEndpoint): number {
    return endpoint.row.timeoutMs ?? this.options.delivery.timeoutMs;
  }

  require(id: string): CachedEndpoint {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) throw new HubError('RELAYKIT_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint has id ${id}`);
    return endpoint;
  }

  private requireEnabled(id: string): CachedEndpoint {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) {
      throw new HubError('RELAYKIT_ERR_WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${id} does not exist (any more)`);
    }
    if (!endpoint.row.enabled) {
      throw new HubError(
        'RELAYKIT_ERR_WEBHOOK_ENDPOINT_DISABLED',
        `Webhook endpoint ${id} is disabled (${endpoint.row.disabledReason ?? 'manual'}); re-enable it with PATCH {"enabled": true} first`,
      );
    }
    return endpoint;
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.guard.check(url);
    } catch (err) {
      if (err instanceof UrlRefused) {
        throw new HubError('RELAYKIT_ERR_WEBHOOK_URL_REFUSED', err.message, { rule: err.rule, address: err.address });
      }
      throw err;
    }
  }
}

function checkHeaders(headers: Record<string, string>): void {
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new HubError(
        'RELAYKIT_ERR_WEBHOOK_HEADER_RESERVED',
        `headers.${name}: the hub sets this header on every attempt (reserved: ${[...RESERVED_HEADERS].join(', ')})`,
        { header: name },
      );
    }
  }
}

function checkSecret(secret: string): void {
  const problem = secretProblem(secret);
  if (problem) throw new HubError('RELAYKIT_ERR_WEBHOOK_SECRET_INVALID', `secret: ${problem}`);
}
