import { defineErrors } from '../../src/kernel/errors.ts';

/** The webhooks plugin's error codes. */
export const WebhookErrors = defineErrors({
  RELAYKIT_ERR_WEBHOOK_URL_REFUSED: {
    status: 422,
    message: 'The endpoint URL is refused (scheme, https-only, credentials, or an internal address)',
  },
  RELAYKIT_ERR_WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, message: 'No webhook endpoint has this id' },
  RELAYKIT_ERR_WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, message: 'No webhook delivery has this id' },
  RELAYKIT_ERR_WEBHOOK_SECRET_INVALID: {
    status: 422,
    message: 'A webhook secret is `whsec_` followed by the base64 of 24 to 64 bytes',
  },
  RELAYKIT_ERR_WEBHOOK_HEADER_RESERVED: {
    status: 422,
    message: 'This header is set by the hub on every attempt and cannot be overridden',
  },
  RELAYKIT_ERR_WEBHOOK_ENDPOINT_DISABLED: {
    status: 409,
    message: 'The endpoint is disabled; re-enable it with PATCH {"enabled": true} first',
  },
  RELAYKIT_ERR_WEBHOOK_DELIVERY_IN_FLIGHT: {
    status: 409,
    message: 'An attempt of this delivery is in flight; retry it once the attempt is recorded',
  },
});
