/**
 * The anchor: bare Bun doing what ws-channels does on the hot path, and nothing else.
 * `POST /messages {channel, type, payload}` numbers the message and publishes one event
 * frame to the channel's topic; `/ws` answers `subscribe` by joining topics. No storage,
 * no auth, no resume: the floor the plugin is measured against.
 */
const port = Number(process.argv[2] ?? 3999);
let nextId = 1;

const server = Bun.serve<{ id: number }>({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(request, srv) {
    const url = new URL(request.url);
    if (url.pathname === '/ws') {
      return srv.upgrade(request, { data: { id: 0 } }) ? undefined : new Response('upgrade', { status: 400 });
    }
    if (url.pathname === '/messages' && request.method === 'POST') {
      const { channel, type, payload } = (await request.json()) as { channel: string; type: string; payload: unknown };
      const id = nextId++;
      const timestamp = new Date().toISOString();
      srv.publish(
        `c:${channel}`,
        JSON.stringify({ type: 'event', channel, id, event: type, data: payload, from: null, to: null, timestamp }),
      );
      return Response.json({ id, channel, type, payload, createdAt: timestamp }, { status: 201 });
    }
    return new Response('ok');
  },
  websocket: {
    // The same settings the hub's Bun adapter uses.
    backpressureLimit: 64 * 1024 * 1024,
    closeOnBackpressureLimit: true,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    open(ws) {
      ws.send(JSON.stringify({ type: 'connected', client_id: crypto.randomUUID() }));
    },
    message(ws, text) {
      const frame = JSON.parse(String(text)) as { type: string; channels?: string[]; id?: unknown };
      if (frame.type !== 'subscribe') return;
      for (const channel of frame.channels ?? []) ws.subscribe(`c:${channel}`);
      ws.send(JSON.stringify({ type: 'subscribed', channels: frame.channels, id: frame.id }));
    },
    close() {},
  },
});
console.log(`anchor listening on ${server.port}`);
