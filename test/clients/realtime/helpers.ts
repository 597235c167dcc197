/**
 * Helpers for the realtime SDK's tests: a hub child process that can be killed and
 * started again on the same port and database, timers the test can hold, and event
 * collectors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RealtimeEvent, Timers } from '../../../clients/realtime/src/index.ts';
import { waitFor } from '../../helpers/hub.ts';
import { freePort, type HubProcess, spawnHub } from '../../helpers/process.ts';

export { waitFor };

/** A hub running as `relaykit start` in its own folder, restartable on the same port and SQLite file. */
export class HubUnderTest {
  private current: HubProcess | null = null;
  readonly port = freePort();
  readonly url = `http://127.0.0.1:${this.port}`;

  private constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(config = 'watch: false\n', env: Record<string, string> = {}): Promise<HubUnderTest> {
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-sdk-'));
    writeFileSync(join(dir, 'relaykit.config.yaml'), config);
    const hub = new HubUnderTest(dir, env);
    await hub.restart();
    return hub;
  }

  get process(): HubProcess {
    if (!this.current) throw new Error('the hub is not running');
    return this.current;
  }

  /** Starts the hub (again) on the same port and database. */
  async restart(): Promise<void> {
    this.current = await spawnHub({
      cwd: this.dir,
      port: this.port,
      args: ['--config', join(this.dir, 'relaykit.config.yaml')],
      env: { RELAYKIT_STORAGE_URL: `sqlite:${join(this.dir, 'relaykit.db')}`, ...this.env },
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    const proc = this.process.proc;
    proc.kill(signal);
    const code = await proc.exited;
    this.current = null;
    return code;
  }

  /** Posts a message; resolves with its id (throws on any status but 201). */
  async send(message: Record<string, unknown>, headers: Record<string, string> = {}): Promise<number> {
    const res = await fetch(`${this.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(message),
    });
    if (res.status !== 201) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }

  async dispose(): Promise<void> {
    if (this.current && this.current.proc.exitCode === null) await this.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Timers the test can hold: while `held`, new timeouts wait (with the delay they asked
 * for recorded) until `release()`; released ones run after `scale` × their delay.
 */
export class HeldTimers implements Timers {
  readonly requested: number[] = [];
  held = false;
  private queue: Array<{ fn: () => void; ms: number; handle: { id: unknown; cancelled: boolean } }> = [];

  constructor(private readonly scale = 1) {}

  setTimeout(fn: () => void, ms: number): unknown {
    this.requested.push(ms);
    const handle = { id: null as unknown, cancelled: false };
    if (this.held) this.queue.push({ fn, ms, handle });
    else handle.id = setTimeout(fn, ms * this.scale);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    const h = handle as { id: unknown; cancelled: boolean };
    h.cancelled = true;
    clearTimeout(h.id as ReturnType<typeof setTimeout>);
  }

  /** Timeouts asked for while held and not cleared. */
  get waiting(): number {
    return this.queue.filter((t) => !t.handle.cancelled).length;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const { fn, ms, handle } of this.queue.splice(0)) {
      if (!handle.cancelled) handle.id = setTimeout(fn, ms * this.scale);
    }
  }
}

/** The ids of events, in the order received. */
export function ids(events: readonly RealtimeEvent[]): number[] {
  return events.map((e) => e.id as number);
}
