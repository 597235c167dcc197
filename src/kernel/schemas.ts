import { t } from 'elysia';

/** The one error shape, for routes' documented error responses. */
export const ErrorResponse = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable code from the error catalogue, e.g. RELAYKIT_ERR_VALIDATION' }),
      message: t.String({ description: 'What went wrong, for humans' }),
      details: t.Optional(t.Unknown({ description: 'Field-level details, when there are any' })),
    }),
  },
  { title: 'ErrorResponse' },
);

/**
 * The usual error responses, to spread into a route's `response`. The result is typed
 * per status (`{ 404: typeof ErrorResponse }`), so Eden Treaty clients see each error.
 */
export const errorResponses = <const S extends readonly number[]>(...statuses: S) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as { [K in S[number]]: typeof ErrorResponse };
