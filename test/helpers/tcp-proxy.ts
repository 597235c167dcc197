import type { Socket, TCPSocketListener } from 'bun';

/**
 * A TCP proxy on loopback in front of a real server (PostgreSQL, Redis): `down()` cuts
 * every connection and resets every new one (the server is gone); `up()` passes them
 * through again; `close()` stops listening.
 *
 * The proxy keeps its port while down. Giving it back would let the kernel hand it, as
 * an ephemeral port, to a client reconnecting to it meanwhile (a TCP self-connect), so
 * the proxy could not listen there again and the "outage" would never end.
 */
export class TcpProxy {
  private listener: TCPSocketListener<{ peer: Socket<unknown> | null; pending: Uint8Array[] }> | null = null;
  private readonly open = new Set<Socket<unknown>>();
  port = 0;
  private passing = false;

  constructor(private readonly target: { hostname: string; port: number }) {}

  /** Listens (the first time), and passes connections through. */
  async up(): Promise<void> {
    this.passing = true;
    if (!this.listener) this.listen();
  }

  private listen(): void {
    const proxy = this;
    this.listener = Bun.listen<{ peer: Socket<unknown> | null; pending: Uint8Array[] }>({
      hostname: '127.0.0.1',
      port: this.port,
      socket: {
        open(client) {
          client.data = { peer: null, pending: [] };
          if (!proxy.passing) {
            client.terminate();
            return;
          }
          proxy.open.add(client as Socket<unknown>);
          void Bun.connect({
            ...proxy.target,
            socket: {
              open(server) {
                // Went down while this connection was being made: it is cut like the others.
                if (!proxy.passing) {
                  server.terminate();
                  client.terminate();
                  return;
                }
                proxy.open.add(server);
                client.data.peer = server;
                for (const chunk of client.data.pending) server.write(chunk);
                client.data.pending = [];
              },
              data(_server, chunk) {
                client.write(chunk);
              },
              close() {
                client.end();
              },
              error() {
                client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.peer) client.data.peer.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          client.data.peer?.end();
          proxy.open.delete(client as Socket<unknown>);
        },
        error(client) {
          client.data.peer?.end();
        },
      },
    });
    this.port = this.listener.port;
  }

  /** Cuts every proxied connection; new ones are reset until `up()`. */
  down(): void {
    this.passing = false;
    for (const socket of this.open) socket.terminate();
    this.open.clear();
  }

  /** Cuts every connection and stops listening. */
  close(): void {
    this.down();
    this.listener?.stop(true);
    this.listener = null;
  }
}
