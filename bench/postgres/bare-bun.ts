/** Anchor: a bare Bun.serve + postgres-js doing the hub's work for GET /messages/:id and POST /messages. */
import { type AnchorInput, anchorStore } from './anchor-db.ts';

const store = await anchorStore(process.env.DATABASE_URL as string);

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === 'GET' && url.pathname.startsWith('/messages/')) {
      const message = await store.get(Number(url.pathname.slice(10)));
      return message ? Response.json(message) : Response.json({ error: 'not found' }, { status: 404 });
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      return Response.json(await store.insert((await req.json()) as AnchorInput), { status: 201 });
    }
    return new Response('not found', { status: 404 });
  },
});
