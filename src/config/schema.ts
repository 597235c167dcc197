import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';

/** Marks an option whose value is a secret: redacted in `GET /admin/plugins` and logs. */
export const secret = { 'x-relaykit-secret': true } as const;

export const ServerSection = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', description: 'Address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'Port (0 picks a free one)' }),
    maxBodyBytes: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'Largest request body accepted; larger ones get 413',
    }),
    maxWebSocketFrameBytes: Type.Integer({
      minimum: 1024,
      default: 16_777_216,
      description:
        'Hard cap on one incoming WebSocket frame for every endpoint (endpoints enforce their own, lower limit)',
    }),
    shutdownTimeoutMs: Type.Integer({
      minimum: 0,
      default: 10_000,
      description: 'How long graceful shutdown waits for in-flight requests and plugins',
    }),
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
      description: 'When true, realtime clients must present a valid token; otherwise anonymous clients are allowed',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const AuthSection = Type.Object(
  {
    adminToken: Type.Optional(
      Type.String({ minLength: 8, description: 'Bearer token for the admin API (RELAYKIT_ADMIN_TOKEN)', ...secret }),
    ),
    jwt: JwtSection,
  },
  { additionalProperties: false, default: {} },
);

export const LogSection = Type.Object(
  {
    level: Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Lowest level written' },
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
  auth: AuthSection,
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
export type StorageConfig = Static<typeof StorageSection>;
export type AuthConfig = Static<typeof AuthSection>;
export type JwtConfig = Static<typeof JwtSection>;
export type LogConfig = Static<typeof LogSection>;

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
  auth: AuthConfig;
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
