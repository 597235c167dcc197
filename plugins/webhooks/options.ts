import { type Static, Type } from '@sinclair/typebox';
import { secret } from '../../src/config/schema.ts';

/** Svix's schedule: after the first attempt, retry after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

const Delivery = Type.Object(
  {
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 120_000,
      default: 15_000,
      description: 'How long one attempt may take (connect, response and body excerpt) before it counts as failed',
    }),
    retrySchedule: Type.Array(Type.Integer({ minimum: 0, maximum: 7 * 86_400 }), {
      maxItems: 50,
      default: DEFAULT_RETRY_SCHEDULE,
      description:
        'Seconds to wait before each retry after a failed attempt; its length is the number of retries (endpoints may override it)',
    }),
    jitter: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.2,
      description:
        'Random spread of each retry delay, as a fraction (0.2 = ±20%), so failing endpoints are not hit in waves',
    }),
    retryAfterMaxSeconds: Type.Integer({
      minimum: 1,
      default: 3600,
      description:
        'Upper bound on a `Retry-After` honoured from a 429 or 503 response (it replaces the scheduled delay up to this many seconds)',
    }),
    userAgent: Type.String({ default: 'Relaykit-Webhooks/1', description: 'User-Agent header of every attempt' }),
  },
  { additionalProperties: false, default: {} },
);

const Worker = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Send deliveries from this process. false keeps writing the outbox (nothing is lost) but sends nothing until it is true again',
    }),
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 1024,
      default: 64,
      description: 'Attempts in flight at once, over all endpoints',
    }),
    perEndpointConcurrency: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 8,
      description: 'Attempts in flight at once to one endpoint, so a slow endpoint cannot take the whole pool',
    }),
    retryAfterErrorMs: Type.Integer({
      minimum: 10,
      default: 1000,
      description:
        'When a worker cycle fails (the database busy or failing), how long before it tries again; otherwise the worker only wakes for work',
    }),
    leaseGraceMs: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        'A claimed delivery is leased for twice its timeout (a wait for a slot, then the attempt) plus this; if the process dies, it is retried once the lease expires',
    }),
    pollIntervalMs: Type.Integer({
      minimum: 50,
      default: 2000,
      description:
        'On a shared database (PostgreSQL), how often an idle worker also looks for due deliveries: work written by other nodes, and deliveries a killed node had leased once their lease ends. Not used on SQLite',
    }),
    drainTimeoutMs: Type.Integer({
      minimum: 0,
      default: 5000,
      description:
        'On stop or reconfigure, how long in-flight attempts may finish; after it they are cancelled and handed back to the outbox',
    }),
  },
  { additionalProperties: false, default: {} },
);

const AutoDisable = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Disable endpoints that keep failing' }),
    failures: Type.Integer({
      minimum: 1,
      default: 50,
      description: 'Consecutive failed attempts (with no success between) before an endpoint may be disabled',
    }),
    windowSeconds: Type.Integer({
      minimum: 0,
      default: 5 * 86_400,
      description:
        'How long the endpoint must have been failing (since its first failure in the run) before it is disabled',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Signing = Type.Object(
  {
    secretBytes: Type.Integer({
      minimum: 24,
      maximum: 64,
      default: 32,
      description: 'Random bytes in a generated `whsec_` secret',
    }),
    rotationGraceSeconds: Type.Integer({
      minimum: 0,
      default: 86_400,
      description: 'After a secret rotation, how long the previous secret keeps signing too (both signatures are sent)',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Security = Type.Object(
  {
    httpsOnly: Type.Boolean({ default: false, description: 'Refuse endpoint URLs that are not https://' }),
    allowNetworks: Type.Array(Type.String(), {
      default: [],
      description:
        'CIDRs delivered to even though they are loopback, private, link-local or otherwise refused (e.g. ["127.0.0.0/8", "::1/128"] for local development)',
    }),
    encryptionKey: Type.String({
      default: '',
      description:
        'AES-256-GCM key (32 bytes, base64: `openssl rand -base64 32`) sealing endpoint secrets and custom headers in the database; take it from the environment (config substitution), never write it in the file. Empty: stored as given',
      ...secret,
    }),
    previousEncryptionKeys: Type.Array(Type.String({ ...secret }), {
      default: [],
      maxItems: 8,
      description:
        'Keys that only open values sealed before a rotation; at start every endpoint is sealed again under encryptionKey, after which they can go',
      ...secret,
    }),
  },
  { additionalProperties: false, default: {} },
);

const Retention = Type.Object(
  {
    deliveredDays: Type.Number({
      minimum: 0,
      default: 7,
      description: 'Days delivered deliveries (and their attempts) are kept',
    }),
    failedDays: Type.Number({
      minimum: 0,
      default: 30,
      description: 'Days failed (dead-letter) deliveries are kept, for retry and recover',
    }),
    attemptDays: Type.Number({
      minimum: 0,
      default: 7,
      description: 'Days attempt records are kept, even for deliveries still pending',
    }),
    intervalMs: Type.Integer({
      minimum: 1000,
      default: 60_000,
      description: 'Least time between two pruning passes (passes run when stored rows reach their retention)',
    }),
    batchSize: Type.Integer({
      minimum: 10,
      maximum: 10_000,
      default: 1000,
      description: 'Rows deleted per statement, so pruning never blocks the hub for long',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Health = Type.Object(
  {
    oldestPendingWarnSeconds: Type.Integer({
      minimum: 1,
      default: 3600,
      description: 'Health warns when the oldest pending delivery is older than this',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const WebhooksOptions = Type.Object(
  {
    delivery: Delivery,
    worker: Worker,
    autoDisable: AutoDisable,
    signing: Signing,
    security: Security,
    retention: Retention,
    health: Health,
  },
  { default: {}, description: 'Deliver hub events to HTTP endpoints, signed (Standard Webhooks), from an outbox' },
);

export type WebhooksOptions = Static<typeof WebhooksOptions>;
