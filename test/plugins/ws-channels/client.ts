/** A real WebSocket client for tests: collects frames and waits for the ones it expects. */
export interface Frame {
  type: string;
  [key: string]: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly frames: Frame[] = [];
  closed: Closed | null = null;
  private waiters: Array<() => void> = [];
  private seen = 0;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (event) => {
      this.frames.push(JSON.parse(String(event.data)) as Frame);
      this.notify();
    };
    ws.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.notify();
    };
  }

  /** Opens `/ws` on the hub at `baseUrl` with query parameters; resolves once the socket is open. */
  static async connect(baseUrl: string, query: Record<string, string> = {}): Promise<TestClient> {
    const url = new URL('/ws', baseUrl.replace(/^http/, 'ws'));
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ws = new WebSocket(url);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => (client.closed ? resolve() : reject(new Error('WebSocket failed to open')));
    });
    return client;
  }

  /** Connects and waits for the `connected` frame. */
  static async ready(baseUrl: string, query: Record<string, string> = {}): Promise<TestClient> {
    const client = await TestClient.connect(baseUrl, query);
    await client.next('connected');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (after those already taken) of `type` that matches `where`. */
  async next(type: string, where: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = this.seen; i < this.frames.length; i++) {
        const frame = this.frames[i];
        if (frame.type === type && where(frame)) {
          this.seen = i + 1;
          return frame;
        }
      }
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) before a ${type} frame`);
      await this.wait(deadline, `a ${type} frame`);
    }
  }

  /** Sends a request and waits for the reply that echoes its id. */
  async request(frame: Record<string, unknown>, ms = 5000): Promise<Frame> {
    const id = `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, id });
    const deadline = Date.now() + ms;
    for (;;) {
      const reply = this.frames.find((f) => f.id === id && f.type !== 'event');
      if (reply) return reply;
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) before the reply`);
      await this.wait(deadline, `the reply to ${String(frame.type)}`);
    }
  }

  /** Event frames received so far (optionally on one channel). */
  events(channel?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && (channel === undefined || f.channel === channel));
  }

  /** Waits until `count` event frames (on `channel`) arrived. */
  async waitForEvents(count: number, channel?: string, ms = 5000): Promise<Frame[]> {
    const deadline = Date.now() + ms;
    while (this.events(channel).length < count) {
      if (this.closed) throw new Error(`closed (${this.closed.code}) after ${this.events(channel).length} events`);
      await this.wait(deadline, `${count} events`);
    }
    return this.events(channel);
  }

  async waitClosed(ms = 5000): Promise<Closed> {
    const deadline = Date.now() + ms;
    while (!this.closed) await this.wait(deadline, 'the close');
    return this.closed;
  }

  close(): void {
    this.ws.close(1000, 'bye');
  }

  private wait(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new Error(`timed out waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), left);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Event-log ids of event frames. */
export function ids(frames: Frame[]): number[] {
  return frames.map((f) => f.id as number);
}
