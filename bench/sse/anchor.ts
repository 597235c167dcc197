/**
 * The anchor: SSE fan-out with bare Bun and nothing else. GET /events opens a stream
 * (a plain ReadableStream written through its controller), POST /publish numbers the
 * message and writes the same envelope Relaykit sends to every open stream.
 *
 *   bun bench/sse/anchor.ts <port>
 */
export {}; // a module: its names stay out of the other scripts' scope

const encoder = new TextEncoder();
const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
let nextId = 1;

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  idleTimeout: 0,
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/events') {
      let controller: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          streams.add(c);
          c.enqueue(encoder.encode('retry: 2000\n\n'));
        },
        cancel() {
          streams.delete(controller);
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
    }
    if (pathname === '/publish' && request.method === 'POST') {
      const { channel, type, payload } = (await request.json()) as { channel: string; type: string; payload: unknown };
      const id = nextId++;
      const envelope = {
        channel,
        id,
        event: type,
        data: payload,
        from: null,
        to: null,
        timestamp: new Date().toISOString(),
      };
      const chunk = encoder.encode(`id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(envelope)}\n\n`);
      for (const c of streams) c.enqueue(chunk);
      return Response.json({ id }, { status: 201 });
    }
    return new Response('not found', { status: 404 });
  },
});

process.on('SIGUSR2', () => Bun.gc(true));
console.log(JSON.stringify({ ready: true, port: server.port }));
