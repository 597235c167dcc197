import type { EventName } from '../../src/kernel/events.ts';
import type { DisabledReason } from './schema.ts';

declare module '../../src/kernel/events.ts' {
  interface RelaykitEvents {
    /** An endpoint was disabled (by an admin, after failing too long, or because it answered 410 Gone). */
    'webhook.endpoint.disabled': {
      endpointId: string;
      url: string;
      reason: DisabledReason;
      consecutiveFailures: number;
      failingSince: string | null;
      /** Pending deliveries that moved to failed with it (recover them once the endpoint is fixed). */
      failedDeliveries: number;
      at: string;
    };
    /** A delivery used up its retry schedule and is now failed (the dead-letter state). */
    'webhook.delivery.exhausted': {
      deliveryId: number;
      endpointId: string;
      eventId: string;
      eventType: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
      at: string;
    };
  }
}

/** The events the webhooks plugin publishes, as constants. */
export const WebhookEvents = {
  endpointDisabled: 'webhook.endpoint.disabled',
  deliveryExhausted: 'webhook.delivery.exhausted',
} as const satisfies Record<string, EventName>;

/** The event type of `POST /webhooks/endpoints/{id}/test` (sent to that endpoint only, not on the bus). */
export const TEST_EVENT_TYPE = 'webhook.test';
