import { type Static, Type } from '@sinclair/typebox';

/** A policy reference: a preset or custom policy name, a duration (`90s`, `15m`, `2h`, `7d`, `2w`) or seconds. */
const PolicyRef = (description: string, def?: string) =>
  Type.Union([Type.String({ pattern: '^([A-Z][A-Z0-9_]*|[1-9][0-9]*[smhdw])$' }), Type.Integer({ minimum: 1 })], {
    description,
    ...(def === undefined ? {} : { default: def }),
  });

const Rule = Type.Object(
  {
    type: Type.String({
      minLength: 1,
      description: 'A message type (`chat.typing`) or a pattern where `*` matches any run of characters (`error.*`)',
    }),
    policy: PolicyRef('The policy for matching types: a preset, a custom policy name, a duration or seconds'),
  },
  { additionalProperties: false },
);

export const TtlOptions = Type.Object(
  {
    defaultPolicy: PolicyRef('Policy for message types that no rule matches', 'MEDIUM'),
    rules: Type.Array(Rule, {
      default: [],
      description:
        'Type patterns mapped to policies. The most specific rule wins: an exact type beats any pattern, then the pattern with more literal characters, then the earlier rule',
    }),
    policies: Type.Record(
      Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }),
      Type.Union([Type.String({ pattern: '^([A-Z][A-Z0-9_]*|[1-9][0-9]*[smhdw])$' }), Type.Integer({ minimum: 1 })]),
      {
        default: {},
        description:
          'Custom named policies (UPPER_CASE names) beside the presets: a duration, seconds, or a preset name to alias',
      },
    ),
    maxTtlSeconds: Type.Integer({
      minimum: 1,
      default: 604_800,
      description:
        'Longest life a client may ask for: a `ttl` on POST /messages, or an extension without the admin token (default 7 days)',
    }),
    overMaxTtl: Type.Union([Type.Literal('cap'), Type.Literal('reject')], {
      default: 'cap',
      description:
        'What a longer client request gets: `cap` stores it with the maximum (the response shows `expiresAt`), `reject` answers 422 RELAYKIT_ERR_TTL_TOO_LONG',
    }),
    immediateMaxAgeSeconds: Type.Integer({
      minimum: 1,
      default: 86_400,
      description: 'How long an IMMEDIATE message waits for its acknowledgement before it expires anyway',
    }),
    sweeper: Type.Object(
      {
        intervalMs: Type.Integer({
          minimum: 10,
          default: 1000,
          description: 'How often the sweeper looks for expired messages (it then runs until none is left)',
        }),
        batchSize: Type.Integer({
          minimum: 1,
          maximum: 5000,
          default: 1000,
          description: 'Most rows one batch deletes (one short transaction per batch)',
        }),
        targetBatchMs: Type.Integer({
          minimum: 1,
          default: 20,
          description:
            'Time one batch should hold the event loop: batches shrink below batchSize when rows are steadily slower to delete (the median cost per row of recent batches)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    archive: Type.Object(
      {
        table: Type.Boolean({
          default: false,
          description: 'Copy expired messages into the ttl_archive table (served by GET /ttl/archive)',
        }),
        retentionSeconds: Type.Integer({
          minimum: 1,
          default: 2_592_000,
          description: 'How long the archive table keeps a message before the sweeper prunes it (default 30 days)',
        }),
        file: Type.Object(
          {
            path: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
              default: null,
              description:
                'Append expired messages to this JSON Lines file (relative to the working directory); null: off',
            }),
            maxBytes: Type.Integer({
              minimum: 1024,
              default: 104_857_600,
              description: 'Rotate the file before it grows past this size (default 100 MiB)',
            }),
            maxFiles: Type.Integer({
              minimum: 1,
              default: 5,
              description: 'Rotated files kept beside the live one (`<path>.1` is the newest); older ones are deleted',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    health: Type.Object(
      {
        lagWarnSeconds: Type.Integer({
          minimum: 1,
          default: 60,
          description: 'Sweeper lag (age of the oldest expired message still stored) that reports `warn`',
        }),
        lagFailSeconds: Type.Integer({
          minimum: 1,
          default: 600,
          description: 'Sweeper lag that reports `fail` (the check never affects readiness)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { default: {}, description: 'Message retention: policies per message type, a batched sweeper, an archive' },
);

export type TtlOptions = Static<typeof TtlOptions>;
