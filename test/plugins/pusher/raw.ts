import { waitFor } from '../../helpers/hub.ts';

/** A frame the hub sent, `data` decoded from its JSON string. */
export interface PusherFrame {
  event: string;
  channel?: string;
  data: unknown;
}

/**
 * A plain WebSocket speaking the Pusher protocol by hand, for what pusher-js never
 * sends: malformed frames, huge events, thousands of subscriptions, silence.
 */
export class RawPusher {
  readonly frames: PusherFrame[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly taken = new WeakSet<PusherFrame>();
  private readonly ws: WebSocket;

  private constructor(url: string, headers: Record<string, string>) {
    // Bun's WebSocket takes headers (Origin included), as browsers set them.
    this.ws = new WebSocket(url, { headers } as unknown as string[]);
    this.ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as { event: string; channel?: string; data: unknown };
      let data = f.data;
      if (typeof data === 'string') {
        try {
          data = JSON.parse(data);
        } catch {}
      }
      this.frames.push({ ...f, data });
    };
    this.ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
    };
  }

  /** Opens `/app/{key}?protocol=7` (or `path`) and waits for the first frame or the close. */
  static async open(
    hubUrl: string,
    key: string,
    query = 'protocol=7',
    headers: Record<string, string> = {},
  ): Promise<RawPusher> {
    const client = new RawPusher(`${hubUrl.replace('http', 'ws')}/app/${key}?${query}`, headers);
    await waitFor(() => client.frames.length > 0 || client.closed !== null, 5000, 'the first frame');
    return client;
  }

  get socketId(): string {
    const first = this.frames[0] as PusherFrame;
    return (first.data as { socket_id: string }).socket_id;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching `predicate` among those no earlier `next` returned, and takes it. */
  async next(predicate: (f: PusherFrame) => boolean, ms = 5000): Promise<PusherFrame> {
    const untaken = (f: PusherFrame) => !this.taken.has(f) && predicate(f);
    await waitFor(() => this.frames.some(untaken), ms, 'a matching frame');
    const found = this.frames.find(untaken) as PusherFrame;
    this.taken.add(found);
    return found;
  }

  async closedWith(ms = 5000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closed !== null, ms, 'the close');
    return this.closed as { code: number; reason: string };
  }

  close(): void {
    this.ws.close();
  }
}
