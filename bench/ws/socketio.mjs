/**
 * The peer: a Socket.IO 4 server doing what the anchor does, the way a Socket.IO user
 * writes it. `POST /messages {channel, type, payload}` numbers the message and emits the
 * same event frame to the channel's room; a socket joins rooms on `subscribe` and is
 * answered `subscribed`. No storage, no resume.
 *
 *   node bench/ws/socketio.mjs PORT   # Socket.IO's default engine (engine.io over `ws`)
 *   bun bench/ws/socketio.mjs PORT    # @socket.io/bun-engine over Bun.serve
 *
 * Plain JavaScript so that Node runs it as is.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 3999);
let nextId = 1;
const io = new Server({ perMessageDeflate: false });

io.on('connection', (socket) => {
  socket.on('subscribe', (frame) => {
    const channels = Array.isArray(frame?.channels) ? frame.channels : [];
    for (const channel of channels) socket.join(`c:${channel}`);
    socket.emit('subscribed', { channels, id: frame?.id });
  });
});

/** Numbers and emits one message; returns the 201 body. */
function publish(body) {
  const { channel, type, payload } = JSON.parse(body);
  const id = nextId++;
  const timestamp = new Date().toISOString();
  io.to(`c:${channel}`).emit('event', {
    type: 'event',
    channel,
    id,
    event: type,
    data: payload,
    from: null,
    to: null,
    timestamp,
  });
  return JSON.stringify({ id, channel, type, payload, createdAt: timestamp });
}

if (typeof Bun === 'undefined') {
  const http = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/messages') {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = publish(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(201, { 'content-type': 'application/json' }).end(body);
      });
      return;
    }
    // Socket.IO answers its own path; everything else is the readiness probe.
    if (!request.url?.startsWith('/socket.io/')) response.end('ok');
  });
  io.attach(http);
  http.listen(port, '127.0.0.1', () => console.log(`socket.io (node) listening on ${port}`));
} else {
  const { Server: Engine } = await import('@socket.io/bun-engine');
  const engine = new Engine({ path: '/socket.io/' });
  io.bind(engine);
  const handler = engine.handler();
  const server = Bun.serve({
    ...handler,
    hostname: '127.0.0.1',
    port,
    async fetch(request, srv) {
      const { pathname } = new URL(request.url);
      if (pathname === '/socket.io/') return engine.handleRequest(request, srv);
      if (pathname === '/messages' && request.method === 'POST') {
        return new Response(publish(await request.text()), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        });
      }
      return new Response('ok');
    },
  });
  console.log(`socket.io (bun-engine) listening on ${server.port}`);
}
