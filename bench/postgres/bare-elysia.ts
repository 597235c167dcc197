/** Anchor: a bare Elysia app + postgres-js doing the same work as bare-bun.ts, with request schemas like the hub's. */
import { Elysia, t } from 'elysia';
import { anchorStore } from './anchor-db.ts';

const store = await anchorStore(process.env.DATABASE_URL as string);

new Elysia()
  .get(
    '/messages/:id',
    async ({ params, set }) => {
      const message = await store.get(params.id);
      if (message) return message;
      set.status = 404;
      return { error: 'not found' };
    },
    { params: t.Object({ id: t.Integer() }) },
  )
  .post(
    '/messages',
    async ({ body, set }) => {
      set.status = 201;
      return store.insert(body);
    },
    {
      parse: 'json',
      body: t.Object({
        from: t.Optional(t.String()),
        to: t.Optional(t.String()),
        channel: t.Optional(t.String()),
        type: t.String(),
        payload: t.Unknown(),
      }),
    },
  )
  .listen({ hostname: '127.0.0.1', port: Number(process.env.PORT) });
