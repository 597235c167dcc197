import { defineErrors } from '../../src/kernel/errors.ts';

/** Errors of the sse plugin (JSON, before a stream starts; a running stream just ends). */
export const SseErrors = defineErrors({
  RELAYKIT_ERR_SSE_BAD_FILTER: {
    status: 400,
    message: 'The channels or subscribe list is malformed (names, count or length)',
  },
  RELAYKIT_ERR_SSE_BAD_LAST_EVENT_ID: {
    status: 400,
    message: 'Last-Event-ID must be a message id (a non-negative integer)',
  },
  RELAYKIT_ERR_SSE_CHANNEL_FORBIDDEN: {
    status: 403,
    message: 'The token does not allow subscribing to this channel',
  },
  RELAYKIT_ERR_SSE_CLIENT_ID_MISMATCH: {
    status: 403,
    message: 'client_id differs from the token subject (`sub`)',
  },
  RELAYKIT_ERR_SSE_TOO_MANY_STREAMS: {
    status: 503,
    message: 'The hub has reached its maximum number of event streams (maxStreams)',
  },
});
