/**
 * The one error catalogue of Relaykit. Every error a client can see has a stable
 * code from here, an HTTP status and a human message. Plugins add their own codes
 * with `defineErrors` and throw `HubError`s; the kernel turns them into the one
 * JSON shape `{ "error": { "code", "message", "details"? } }`.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const CoreErrors = {
  RELAYKIT_ERR_VALIDATION: { status: 422, message: 'The request does not match the schema' },
  RELAYKIT_ERR_BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  RELAYKIT_ERR_MALFORMED_JSON: { status: 400, message: 'The body is not valid JSON' },
  RELAYKIT_ERR_UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required' },
  RELAYKIT_ERR_ADMIN_DISABLED: {
    status: 403,
    message:
      'The admin API is disabled because no admin token is configured; set auth.adminToken in relaykit.config.yaml or RELAYKIT_ADMIN_TOKEN',
  },
  RELAYKIT_ERR_FORBIDDEN: { status: 403, message: 'Not allowed' },
  RELAYKIT_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  RELAYKIT_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No route matches this method and path' },
  RELAYKIT_ERR_MESSAGE_NOT_FOUND: { status: 404, message: 'No message has this id' },
  RELAYKIT_ERR_PLUGIN_NOT_FOUND: { status: 404, message: 'No plugin has this name' },
  RELAYKIT_ERR_CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    message: 'This Idempotency-Key was already used for a different request',
  },
  RELAYKIT_ERR_IDEMPOTENT_MESSAGE_GONE: {
    status: 410,
    message: 'The message this Idempotency-Key stored has expired or was removed',
  },
  RELAYKIT_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than server.maxBodyBytes' },
  RELAYKIT_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The body must be sent as application/json',
  },
  RELAYKIT_ERR_JSON_TOO_DEEP: {
    status: 422,
    message: 'The JSON nests arrays and objects deeper than server.maxJsonDepth',
  },
  RELAYKIT_ERR_PAYLOAD_TOO_LARGE: { status: 422, message: 'The payload is larger than limits.maxPayloadBytes' },
  RELAYKIT_ERR_BODY_TIMEOUT: { status: 408, message: 'The request body did not arrive within server.bodyTimeoutMs' },
  RELAYKIT_ERR_CONFIG_INVALID: { status: 422, message: 'The configuration is invalid' },
  RELAYKIT_ERR_PLUGIN_START_FAILED: { status: 422, message: 'A plugin failed to start' },
  RELAYKIT_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  RELAYKIT_ERR_UNAVAILABLE: { status: 503, message: 'The hub is not ready' },
  RELAYKIT_ERR_STORAGE_UNAVAILABLE: {
    status: 503,
    message: 'The database cannot be reached right now: nothing was stored; retry later',
  },
  RELAYKIT_ERR_STORAGE_FULL: {
    status: 507,
    message: 'The disk of the database is full: nothing was stored; retry once space was freed',
  },
  RELAYKIT_ERR_STORAGE_BUSY: {
    status: 503,
    message: 'Another process holds a lock on the database (storage.lockTimeoutMs): nothing was stored; retry',
  },
  RELAYKIT_ERR_CLUSTER_SHARED_CONFIG: {
    status: 409,
    message:
      'Other nodes share this hub: a change made through one node would not reach them. Change the shared config file on every node, then reload',
  },
  RELAYKIT_ERR_INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type CoreErrorCode = keyof typeof CoreErrors;

const catalogue = new Map<string, ErrorSpec>(Object.entries(CoreErrors));

/** Registers a plugin's error codes in the catalogue and returns them, typed. */
export function defineErrors<const T extends Record<string, ErrorSpec>>(errors: T): T {
  for (const [code, spec] of Object.entries(errors)) catalogue.set(code, spec);
  return errors;
}

/** Every code in the catalogue, for docs. */
export function allErrors(): ReadonlyMap<string, ErrorSpec> {
  return catalogue;
}

/** An error that reaches the client with its code, status and message. */
export class HubError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  /** Response headers that go with the error (`retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(code: string, message?: string, details?: unknown, headers?: Record<string, string>) {
    const spec = catalogue.get(code);
    super(message ?? spec?.message ?? code);
    this.name = 'HubError';
    this.code = code;
    this.status = spec?.status ?? 500;
    this.details = details;
    if (headers) this.headers = headers;
  }

  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Seconds a client waits before retrying after a full disk or a locked database. */
const STORAGE_RETRY_AFTER = { full: '30', busy: '1' } as const;

/** The catalogue error for a storage fault (507 full disk, 503 locked), with Retry-After. */
export function storageFaultError(fault: 'full' | 'busy'): HubError {
  return new HubError(
    fault === 'full' ? 'RELAYKIT_ERR_STORAGE_FULL' : 'RELAYKIT_ERR_STORAGE_BUSY',
    undefined,
    undefined,
    { 'retry-after': STORAGE_RETRY_AFTER[fault] },
  );
}

/** A JSON error response in the catalogue's shape. */
export function errorResponse(err: HubError, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(err.toJSON()), {
    status: err.status,
    headers: { 'content-type': 'application/json', ...err.headers, ...headers },
  });
}
