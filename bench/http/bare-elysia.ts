/** Anchor: a bare Elysia app doing the same work as bare-bun.ts, with the same route schemas style. */
import { Elysia, t } from 'elysia';
import { openAnchorDb } from './anchor-db.ts';

const db = openAnchorDb(process.env.DB_PATH as string);
const select = db.prepare('SELECT * FROM messages WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)');
const insert = db.prepare(
  'INSERT INTO messages (from_client, to_client, channel, type, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
);

function toJson(row: Record<string, unknown>) {
  return {
    id: row.id,
    from: row.from_client,
    to: row.to_client,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload as string),
    createdAt: new Date(row.created_at as number).toISOString(),
    expiresAt: null,
    deliveredAt: null,
  };
}

new Elysia()
  .get(
    '/messages/:id',
    ({ params, set }) => {
      const row = select.get(params.id, Date.now()) as Record<string, unknown> | null;
      if (!row) {
        set.status = 404;
        return { error: 'not found' };
      }
      return toJson(row);
    },
    { params: t.Object({ id: t.Integer() }) },
  )
  .post(
    '/messages',
    ({ body, set }) => {
      const now = Date.now();
      const payload = JSON.stringify(body.payload);
      const { id } = insert.get(body.from ?? null, body.to ?? null, body.channel ?? null, body.type, payload, now) as {
        id: number;
      };
      set.status = 201;
      return toJson({
        id,
        from_client: body.from ?? null,
        to_client: body.to ?? null,
        channel: body.channel ?? null,
        type: body.type,
        payload,
        created_at: now,
      });
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
