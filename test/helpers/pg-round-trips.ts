import type { Socket } from 'bun';

/** A loopback proxy in front of PostgreSQL that records round trips. */
export interface RoundTripCounter {
  /** The port to connect to instead of the server's (connect with `sslmode=disable`). */
  port: number;
  /**
   * Round trips answered so far (each ends with the server's ReadyForQuery), those
   * whose request `matches` when given: the request's bytes, as text (statement text
   * when it is parsed or sent as a simple query, a prepared statement's name and
   * parameters when it is only bound).
   */
  count(matches?: (request: string) => boolean): number;
  stop(): void;
}

/** One client connection: the server side once connected, what came before, and the client stream's reader. */
interface Link {
  server: Socket<undefined> | null;
  pending: Uint8Array[];
  forward(chunk: Uint8Array): void;
}

/** Frontend messages that end a request: Sync ('S') and simple Query ('Q'). */
const SYNC = 0x53;
const QUERY = 0x51;
/** ReadyForQuery ('Z'): the server ends every answer to a Sync or a simple query with one. */
const READY_FOR_QUERY = 0x5a;

/** Splits a protocol stream into whole messages (a type byte, then a length that counts itself), keeping the rest. */
function splitter(onMessage: (type: number, body: Uint8Array) => void, untypedFirst: boolean) {
  let buffered = new Uint8Array(0);
  let untyped = untypedFirst;
  return (chunk: Uint8Array) => {
    const joined = new Uint8Array(buffered.length + chunk.length);
    joined.set(buffered);
    joined.set(chunk, buffered.length);
    let at = 0;
    for (;;) {
      // The startup message has no type byte: its length comes first.
      const head = untyped ? 0 : 1;
      if (joined.length - at < head + 4) break;
      const length = new DataView(joined.buffer, joined.byteOffset + at + head, 4).getInt32(0);
      if (joined.length - at < head + length) break;
      onMessage(untyped ? 0 : joined[at], joined.subarray(at + head + 4, at + head + length));
      at += head + length;
      untyped = false;
    }
    buffered = joined.slice(at);
  };
}

/**
 * Starts a proxy on an ephemeral loopback port that forwards every connection to
 * `host:port` and pairs each of the server's ReadyForQuery messages with the request
 * it answers, so a test can tell how many round trips some work costs, and which.
 */
export function countRoundTrips(port: number, host = '127.0.0.1'): RoundTripCounter {
  const answered: string[] = [];
  const decoder = new TextDecoder();
  const listener = Bun.listen<Link>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        // Requests sent and not answered yet, in order; the startup is answered with a ReadyForQuery too.
        const waiting: string[] = [];
        let request = '';
        const fromClient = splitter((type, body) => {
          request += decoder.decode(body).replace(/[^ -~]/g, ' ');
          if (type === 0 || type === SYNC || type === QUERY) {
            waiting.push(type === 0 ? 'startup' : request);
            request = '';
          }
        }, true);
        const fromServer = splitter((type) => {
          if (type === READY_FOR_QUERY) answered.push(waiting.shift() ?? '');
        }, false);
        const forward = (chunk: Uint8Array) => {
          fromClient(chunk);
          if (client.data.server) client.data.server.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        };
        client.data = { server: null, pending: [], forward };
        Bun.connect({
          hostname: host,
          port,
          socket: {
            open(server) {
              client.data.server = server;
              for (const chunk of client.data.pending) server.write(chunk);
              client.data.pending = [];
            },
            data(_server, chunk) {
              fromServer(chunk);
              client.write(chunk);
            },
            close() {
              client.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        client.data.forward(chunk);
      },
      close(client) {
        client.data.server?.end();
      },
    },
  });
  return {
    port: listener.port,
    count: (matches) => (matches ? answered.filter(matches).length : answered.length),
    stop: () => listener.stop(true),
  };
}
