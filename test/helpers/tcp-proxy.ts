import type { Socket, TCPSocketListener } from 'bun';

/**
 * A TCP proxy on loopback in front of a real server (PostgreSQL): `down()` cuts every
 * connection and stops listening (connections are refused, as with a stopped
 * server); `up()` listens again on the same port.
 */
export class TcpProxy {
  private listener: TCPSocketListener<{ peer: Socket<unknown> | null; pending: Uint8Array[] }> | null = null;
  private readonly open = new Set<Socket<unknown>>();
  port = 0;
  private passing = false;

  constructor(private readonly target: { hostname: string; port: number }) {}

  /** Listens (again, on the same port: retried while the old socket lets go of it). */
  async up(): Promise<void> {
    this.passing = true;
    for (let attempt = 0; !this.listener; attempt++) {
      try {
        this.listen();
      } catch (err) {
        if (attempt > 100) throw err;
        await Bun.sleep(20);
      }
    }
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
            client.end();
            return;
          }
          proxy.open.add(client as Socket<unknown>);
          void Bun.connect({
            ...proxy.target,
            socket: {
              open(server) {
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

  /** Cuts every proxied connection and stops listening. */
  down(): void {
    this.passing = false;
    this.listener?.stop(true);
    this.listener = null;
    for (const socket of this.open) socket.terminate();
    this.open.clear();
  }
}
