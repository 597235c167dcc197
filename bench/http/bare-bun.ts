/**
 * Anchor: a bare Bun.serve doing the hub's work for GET /messages/:id and
 * POST /messages with the same SQLite schema and pragmas, one autocommit per insert.
 */
import type { Database } from 'bun:sqlite';
import { openAnchorDb } from './anchor-db.ts';

const db: Database = openAnchorDb(process.env.DB_PATH as string);
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

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === 'GET' && url.pathname.startsWith('/messages/')) {
      const row = select.get(Number(url.pathname.slice(10)), Date.now()) as Record<string, unknown> | null;
      return row ? Response.json(toJson(row)) : Response.json({ error: 'not found' }, { status: 404 });
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const body = (await req.json()) as {
        from?: string;
        to?: string;
        channel?: string;
        type: string;
        payload: unknown;
      };
      const now = Date.now();
      const payload = JSON.stringify(body.payload);
      const { id } = insert.get(body.from ?? null, body.to ?? null, body.channel ?? null, body.type, payload, now) as {
        id: number;
      };
      return Response.json(
        toJson({
          id,
          from_client: body.from ?? null,
          to_client: body.to ?? null,
          channel: body.channel ?? null,
          type: body.type,
          payload,
          created_at: now,
        }),
        { status: 201 },
      );
    }
    return new Response('not found', { status: 404 });
  },
});
