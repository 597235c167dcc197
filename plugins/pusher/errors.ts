import { defineErrors } from '../../src/kernel/errors.ts';

/** The pusher plugin's HTTP API error codes; messages carry Pusher's own wording where clients read it. */
export const PusherErrors = defineErrors({
  RELAYKIT_ERR_PUSHER_APP_NOT_FOUND: { status: 404, message: 'No Pusher app has this id' },
  RELAYKIT_ERR_PUSHER_UNAUTHORIZED: {
    status: 401,
    message: 'The request is not signed with the app’s key and secret (missing, stale or bad signature)',
  },
  RELAYKIT_ERR_PUSHER_BAD_REQUEST: { status: 400, message: 'The Pusher API request is invalid' },
  RELAYKIT_ERR_PUSHER_PAYLOAD_TOO_LARGE: { status: 413, message: 'The event data is larger than the app allows' },
});
