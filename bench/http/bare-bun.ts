/** Anchor: a bare Bun.serve doing the hub's work for GET /messages/:id and POST /messages (one autocommit per insert). */
import { type AnchorInput, anchorStore } from './anchor-db.ts';

const store = anchorStore(process.env.DB_PATH as string);

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === 'GET' && url.pathname.startsWith('/messages/')) {
      const message = store.get(Number(url.pathname.slice(10)));
      return message ? Response.json(message) : Response.json({ error: 'not found' }, { status: 404 });
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      return Response.json(store.insert((await req.json()) as AnchorInput), { status: 201 });
    }
    return new Response('not found', { status: 404 });
  },
});
