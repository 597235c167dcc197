import net from 'node:net';
import type { Closed, Frame } from './client.ts';

/**
 * A bare-TCP WebSocket client for what browsers cannot do on purpose: stop reading
 * (a slow consumer) or never answer pings (a dead peer). It sends nothing unless told.
 */
export class RawClient {
  readonly frames: Frame[] = [];
  closed: Closed | null = null;
  ended = false;
  pings = 0;
  private buffer = Buffer.alloc(0);
  private upgraded = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly autoPong: boolean,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => {
      this.ended = true;
    });
    socket.on('error', () => {
      this.ended = true;
    });
  }

  /** With `autoPong`, answers pings like any compliant client; without, it plays dead. */
  static async connect(baseUrl: string, { autoPong = false, path = '/ws' } = {}): Promise<RawClient> {
    const url = new URL(baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    const client = new RawClient(socket, autoPong);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const deadline = Date.now() + 5000;
    while (!client.frames.some((f) => f.type === 'connected')) {
      if (Date.now() > deadline || client.ended) throw new Error('raw client did not connect');
      await new Promise((r) => setTimeout(r, 5));
    }
    return client;
  }

  /** Sends a masked text frame (clients must mask). */
  send(frame: unknown): void {
    this.write(0x1, Buffer.from(JSON.stringify(frame)));
  }

  private write(opcode: number, body: Buffer): void {
    const mask = Buffer.from([1, 2, 3, 4]);
    const header =
      body.length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | body.length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, body.length >> 8, body.length & 0xff]);
    const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]));
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  /** Stops reading: the server's writes pile up in the kernel buffers, then in its own. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  events(): Frame[] {
    return this.frames.filter((f) => f.type === 'event');
  }

  async waitFor(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`raw client timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private parse(): void {
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.upgraded = true;
      this.buffer = this.buffer.subarray(end + 4);
    }
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const body = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === 1) this.frames.push(JSON.parse(body.toString()) as Frame);
      else if (opcode === 8)
        this.closed = { code: body.length >= 2 ? body.readUInt16BE(0) : 1005, reason: body.subarray(2).toString() };
      else if (opcode === 9) {
        this.pings++;
        if (this.autoPong) this.write(0xa, body);
      }
    }
  }
}
