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

/** The usual error responses, to spread into a route's `response`. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as Record<number, typeof ErrorResponse>;
