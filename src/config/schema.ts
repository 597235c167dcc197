import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';

/** Marks an option whose value is a secret: redacted in `GET /admin/plugins` and logs. */
export const secret = { 'x-relaykit-secret': true } as const;

export const CorsSection = Type.Object(
  {
    origins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^/\\s]+)$' }), {
      default: [],
      maxItems: 256,
      description:
        'Origins (https://app.example.com) whose pages may call the REST API and SSE, with credentials, and open WebSockets without a token; "*" lets any origin read without credentials. Empty: none (same-origin pages only)',
    }),
    maxAgeSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 600,
      description: 'How long browsers may cache a preflight answer',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ServerSection = Type.Object(
  {
    host: Type.String({
      default: '127.0.0.1',
      description:
        'Address to listen on. Without API keys or JWT verification only loopback addresses are allowed, unless auth.open is true',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 3000,
      description: 'Port (0 picks a free one; the "relaykit ready" log line names it)',
    }),
    maxBodyBytes: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'Largest request body accepted; larger ones get 413',
    }),
    maxJsonDepth: Type.Integer({
      minimum: 2,
      maximum: 512,
      default: 64,
      description:
        'Deepest nesting of arrays and objects in a request body or WebSocket frame; deeper ones get 422 before they are parsed',
    }),
    maxWebSocketFrameBytes: Type.Integer({
      minimum: 1024,
      default: 16_777_216,
      description:
        'Hard cap on one incoming WebSocket frame for every endpoint (endpoints enforce their own, lower limit)',
    }),
    bodyTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10_000,
      description:
        'How long a request body may take to arrive; a stalled one gets 408 (streams such as SSE responses are not affected)',
    }),
    shutdownTimeoutMs: Type.Integer({
      minimum: 0,
      default: 10_000,
      description: 'How long graceful shutdown waits for in-flight requests and plugins',
    }),
    cors: CorsSection,
    drainDelayMs: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'On SIGTERM, how long readiness reports 503 before the server stops accepting (give Kubernetes time to stop routing)',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const StorageSection = Type.Object(
  {
    url: Type.String({
      pattern: '^(sqlite:|postgres(ql)?://)',
      default: 'sqlite:./data/relaykit.db',
      description:
        'Database URL: sqlite:<path> (relative to the working directory), sqlite::memory:, or postgres://user:password@host:5432/db (?sslmode=, ?schema=; see docs/storage.md)',
    }),
    groupCommitMaxBatch: Type.Integer({
      minimum: 1,
      maximum: 4096,
      default: 512,
      description: 'Most messages committed in one transaction by group commit',
    }),
    lockTimeoutMs: Type.Integer({
      minimum: 0,
      default: 5000,
      description:
        'SQLite: how long a write waits for a lock another process holds on the database file (in short steps that leave the hub responsive); then 503 RELAYKIT_ERR_STORAGE_BUSY',
    }),
    integrityCheckIntervalMs: Type.Integer({
      minimum: 0,
      default: 3_600_000,
      description:
        'SQLite: how often readiness runs PRAGMA quick_check (0: never); a failed check makes the hub not ready. The check reads the whole file',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const MessagesSection = Type.Object(
  {
    idempotencyWindowSeconds: Type.Integer({
      minimum: 60,
      maximum: 30 * 24 * 3600,
      default: 24 * 3600,
      description:
        'How long an Idempotency-Key of POST /messages is remembered: a retry within it returns the original message (keys are purged after it)',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ClusterSection = Type.Object(
  {
    nodeId: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
        description:
          "This node's name in the cluster (health, presence, leadership, metric labels); unique among live nodes. Default: <hostname>-<pid>-<random>, fixed for the life of the process",
      }),
    ),
    broker: Type.Object(
      {
        url: Type.Optional(
          Type.String({
            pattern: '^rediss?://',
            description:
              'redis://[user:password@]host:6379[/db]: carry the live feed between nodes over Redis pub/sub (one publish per commit batch). Unset: nodes sharing a PostgreSQL storage.url use its LISTEN/NOTIFY. Needs a PostgreSQL store',
            ...secret,
          }),
        ),
        prefix: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 100,
            description:
              'Prefix of the Redis channel; nodes of one hub must agree. Default relaykit:<database>[.<schema>]: derived from storage.url',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    holdMs: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 50,
      description:
        'How long a node holds a message whose predecessor has not arrived from the broker before reading the gap from the database',
    }),
    checkEveryMs: Type.Integer({
      minimum: 50,
      maximum: 60_000,
      default: 1000,
      description:
        "How often a node compares the database's last message id with what it delivered (catches publishes that never arrived)",
    }),
    leadership: Type.Object(
      {
        mode: Type.Union([Type.Literal('advisory'), Type.Literal('lease')], {
          default: 'advisory',
          description:
            'How nodes sharing a PostgreSQL database pick the one that runs each singleton (ttl sweeper, webhook retention): `advisory` (a session advisory lock on a dedicated connection) or `lease` (a row in relaykit_leases; use it behind PgBouncer in transaction mode). SQLite runs one node, always the leader',
        }),
        intervalMs: Type.Integer({
          minimum: 50,
          maximum: 60_000,
          default: 1000,
          description:
            'advisory: how often a node checks or tries the lock (leadership moves within about this long of a leader dying)',
        }),
        leaseTtlMs: Type.Integer({
          minimum: 150,
          maximum: 300_000,
          default: 10_000,
          description:
            'lease: how long a lease lasts unless renewed (renewed every third of it); a dead leader is replaced within it',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const JwtSection = Type.Object(
  {
    secret: Type.Optional(Type.String({ minLength: 16, description: 'Shared secret for HS256 tokens', ...secret })),
    publicKey: Type.Optional(Type.String({ description: 'PEM (SPKI) public key for RS256 tokens' })),
    jwksUrl: Type.Optional(Type.String({ format: 'uri', description: 'JWKS URL for RS256 tokens' })),
    issuer: Type.Optional(Type.String({ description: 'Required `iss` claim' })),
    audience: Type.Optional(Type.String({ description: 'Required `aud` claim' })),
    required: Type.Boolean({
      default: false,
      description:
        'When true, every client route (REST, WebSocket, SSE) needs a token (JWT, API key or admin token); otherwise anonymous clients get auth.anonymous',
    }),
    requireExpiry: Type.Boolean({
      default: true,
      description: 'Refuse tokens without an `exp` claim (set false only for tokens you revoke by rotating the key)',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Patterns = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { default: [], maxItems: 256, description });

/** The rights an API key grants, as `*` patterns. */
export const KeyScopes = Type.Object(
  {
    publish: Patterns('Channels the key may publish on'),
    read: Patterns('Channels the key may read (GET /messages?channel=, WebSocket and SSE subscriptions)'),
    to: Patterns('Client ids the key may send direct messages to'),
    actAs: Patterns(
      'Client ids the key may act as: `from`, their inbox (GET /messages?client=, client_id), ack and extend',
    ),
    admin: Type.Boolean({ default: false, description: 'Everything the admin token may do' }),
  },
  { additionalProperties: false, default: {} },
);

export const ApiKeyEntry = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'Shown in logs' }),
    hash: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description: 'sha256:<hex> of the key (`printf %s "$KEY" | sha256sum`); the plaintext is never in the file',
      }),
    ),
    env: Type.Optional(
      Type.String({
        pattern: '^[A-Z_][A-Z0-9_]*$',
        description: 'Name of an environment variable holding the plaintext key (instead of `hash`)',
      }),
    ),
    scopes: KeyScopes,
  },
  { additionalProperties: false },
);

export const AnonymousSection = Type.Object(
  {
    read: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description:
        'Channels clients without a token may read when API keys or JWTs are configured (and auth.jwt.required is false)',
    }),
    publish: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Channels clients without a token may publish on when API keys or JWTs are configured',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const AuthSection = Type.Object(
  {
    adminToken: Type.Optional(
      Type.String({ minLength: 8, description: 'Bearer token for the admin API (RELAYKIT_ADMIN_TOKEN)', ...secret }),
    ),
    open: Type.Boolean({
      default: false,
      description:
        'Let clients without a token do everything but admin, on any address. Without API keys or JWTs this is also the rule on loopback',
    }),
    apiKeys: Type.Array(ApiKeyEntry, { default: [], description: 'API keys for services and publishers' }),
    anonymous: AnonymousSection,
    jwt: JwtSection,
  },
  { additionalProperties: false, default: {} },
);

export const LimitsSection = Type.Object(
  {
    messagesPerSecond: Type.Number({
      exclusiveMinimum: 0,
      default: 1000,
      description:
        'Messages one caller (API key, JWT subject, or IP when anonymous) may publish per second over REST and WebSocket; over it: 429 with Retry-After',
    }),
    messageBurst: Type.Integer({ minimum: 1, default: 5000, description: 'Messages a caller may publish at once' }),
    bytesPerSecond: Type.Integer({
      minimum: 1,
      default: 16_777_216,
      description: 'Payload bytes one caller may publish per second',
    }),
    byteBurst: Type.Integer({
      minimum: 1,
      default: 67_108_864,
      description: 'Payload bytes a caller may publish at once (at least maxPayloadBytes)',
    }),
    maxPayloadBytes: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'Largest payload of one message, as stored JSON; larger ones get 422',
    }),
    connectionsPerIdentity: Type.Integer({
      minimum: 1,
      default: 256,
      description:
        'WebSockets and SSE streams one API key or JWT subject may hold open at once; over it: 429 (SSE) or close code 4029 (WebSocket)',
    }),
    connectionsPerIp: Type.Integer({
      minimum: 1,
      default: 1024,
      description: 'WebSockets and SSE streams one IP address may hold open at once (the admin is not counted)',
    }),
    maxPageBytes: Type.Integer({
      minimum: 1024,
      default: 4_194_304,
      description:
        'Most payload bytes one GET /messages page returns: a page stops early (with its cursor) rather than grow past it; a single larger message still comes alone',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const LogSection = Type.Object(
  {
    level: Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Lowest level written' },
    ),
    format: Type.Union(
      (['auto', 'json', 'pretty'] as const).map((f) => Type.Literal(f)),
      {
        default: 'auto',
        description:
          'json: one JSON object per line; pretty: readable lines; auto: pretty when stdout is a terminal, else json',
      },
    ),
    requests: Type.Boolean({
      default: false,
      description: 'Write one access-log line per HTTP request (method, route, status, duration, request id)',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const CoreSections = {
  $schema: Type.Optional(Type.String({ description: 'JSON Schema for editor completion' })),
  server: ServerSection,
  storage: StorageSection,
  messages: MessagesSection,
  cluster: ClusterSection,
  auth: AuthSection,
  limits: LimitsSection,
  log: LogSection,
  watch: Type.Boolean({ default: true, description: 'Reload when the config file changes' }),
};

/** The fields every plugin entry has, beside its own options. */
export const PluginEntryBase = {
  enabled: Type.Optional(Type.Boolean({ description: 'Run this plugin (built-ins default to true)' })),
  module: Type.Optional(
    Type.String({ description: 'Module path of a third-party plugin, relative to the config file' }),
  ),
};

export type ServerConfig = Static<typeof ServerSection>;
export type CorsConfig = Static<typeof CorsSection>;
export type StorageConfig = Static<typeof StorageSection>;
export type MessagesConfig = Static<typeof MessagesSection>;
export type ClusterConfig = Static<typeof ClusterSection>;
export type AuthConfig = Static<typeof AuthSection>;
export type JwtConfig = Static<typeof JwtSection>;
export type ApiKeyConfig = Static<typeof ApiKeyEntry>;
export type LogConfig = Static<typeof LogSection>;
export type LimitsConfig = Static<typeof LimitsSection>;

/** One plugin's entry after validation. */
export interface PluginEntry {
  enabled: boolean;
  module?: string;
  options: Record<string, unknown>;
}

/** The whole configuration after defaults and validation. */
export interface HubConfig {
  server: ServerConfig;
  storage: StorageConfig;
  messages: MessagesConfig;
  cluster: ClusterConfig;
  auth: AuthConfig;
  limits: LimitsConfig;
  log: LogConfig;
  watch: boolean;
  plugins: Record<string, PluginEntry>;
}

/** Builds the schema of a whole config file from the plugins' option schemas. */
export function configFileSchema(pluginSchemas: ReadonlyMap<string, TObject>): TObject {
  const plugins: Record<string, TSchema> = {};
  for (const [name, schema] of pluginSchemas) {
    plugins[name] = Type.Optional(
      Type.Object(
        { ...PluginEntryBase, ...schema.properties },
        { additionalProperties: false, description: schema.description },
      ),
    );
  }
  return Type.Object(
    {
      ...CoreSections,
      plugins: Type.Object(plugins, {
        default: {},
        additionalProperties: Type.Object(PluginEntryBase, { additionalProperties: true }),
      }),
    },
    { additionalProperties: false, $id: 'https://relaykit.dev/schema/config.json', title: 'Relaykit configuration' },
  );
}

/**
 * The config schema as editors and validators (ajv, yaml-language-server) read a file:
 * a field with a default may be left out, so it is not `required` there. The hub
 * itself validates after filling defaults, with the schema as it is.
 */
export function publishedSchema(schema: TSchema): Record<string, unknown> {
  return optionalDefaults(JSON.parse(JSON.stringify(schema))) as Record<string, unknown>;
}

function optionalDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(optionalDefaults);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = optionalDefaults(child);
  const properties = out.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out.required) && properties) {
    const required = (out.required as string[]).filter((name) => properties[name]?.default === undefined);
    if (required.length) out.required = required;
    else delete out.required;
  }
  return out;
}
