/**
 * The anchor: the smallest compiled Bun server, answering 200 on every path. Its cold
 * start is the floor any `bun build --compile` program pays (loading a ~110 MB
 * executable and its bytecode), so the hub is measured against it.
 */
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: () => new Response('ok'),
});
process.on('SIGTERM', () => server.stop(true));

export {};
