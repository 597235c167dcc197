import { type Static, Type } from '@sinclair/typebox';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const affects = (value: boolean) =>
  Type.Boolean({ default: value, description: 'Whether a `fail` of this check makes the hub not ready (503)' });

export const ExternalCheckSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      description: 'Names the check: it is reported as `<name>:responseTime`',
    }),
    http: Type.String({
      default: '',
      description: 'A URL that must answer a 2xx status to a GET (redirects are not followed)',
    }),
    tcp: Type.String({ default: '', description: 'A `host:port` that must accept a TCP connection' }),
    componentType: Type.String({
      default: 'component',
      description: 'health+json componentType (`datastore` for a database or cache, `component`, `system`)',
    }),
    affectsReadiness: affects(true),
    timeoutMs: Type.Integer({ minimum: 0, default: 0, description: 'Timeout of this check (0: the plugin timeoutMs)' }),
  },
  { additionalProperties: false },
);

export const HealthOptionsSchema = Type.Object(
  {
    intervalMs: Type.Integer({
      minimum: 10,
      default: 5000,
      description: 'How often every check runs; probes answer from the cached results',
    }),
    timeoutMs: Type.Integer({
      minimum: 1,
      default: 2000,
      description: 'A check that has not answered after this long fails ("timed out")',
    }),
    requiredPlugins: Type.Array(Type.String(), {
      default: [],
      description: 'Plugins that must be running for readiness (empty: every enabled plugin)',
    }),
    detailsRequireAdmin: Type.Boolean({
      default: false,
      description: 'Require the admin token on /health/status (the probes never need it)',
    }),
    eventLoop: Type.Object(
      {
        warnMs: Type.Number({
          minimum: 0,
          default: 100,
          description: 'Warn when the p99 event-loop delay exceeds this',
        }),
        failMs: Type.Number({ minimum: 0, default: 1000, description: 'Fail above this p99 delay (0: never)' }),
        affectsReadiness: affects(false),
      },
      { default: {}, additionalProperties: false },
    ),
    memory: Type.Object(
      {
        warnRssBytes: Type.Integer({
          minimum: 0,
          default: GiB,
          description: 'Warn when the RSS exceeds this (0: never)',
        }),
        failRssBytes: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Fail when the RSS exceeds this (0: never)',
        }),
        affectsReadiness: affects(false),
      },
      { default: {}, additionalProperties: false },
    ),
    cpu: Type.Object(
      {
        warnPercent: Type.Number({
          minimum: 0,
          default: 90,
          description: "Warn when the process's CPU use since the last run exceeds this share of the cores (0: never)",
        }),
        failPercent: Type.Number({ minimum: 0, default: 0, description: 'Fail above this share (0: never)' }),
        affectsReadiness: affects(false),
      },
      { default: {}, additionalProperties: false },
    ),
    disk: Type.Object(
      {
        path: Type.String({
          default: '',
          description: "Directory whose free space is checked (default: the SQLite file's)",
        }),
        warnFreeBytes: Type.Integer({ minimum: 0, default: GiB, description: 'Warn when less is free' }),
        failFreeBytes: Type.Integer({ minimum: 0, default: 64 * MiB, description: 'Fail when less is free' }),
        affectsReadiness: affects(true),
      },
      { default: {}, additionalProperties: false },
    ),
    external: Type.Array(ExternalCheckSchema, {
      default: [],
      description: 'What the hub depends on: HTTP URLs that must answer 2xx, TCP host:port that must accept',
    }),
  },
  { default: {}, description: 'Kubernetes probes and application/health+json status' },
);

export type HealthOptions = Static<typeof HealthOptionsSchema>;
export type ExternalCheckOptions = Static<typeof ExternalCheckSchema>;
