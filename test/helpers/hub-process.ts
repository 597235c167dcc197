/** A hub child process that can be killed and started again on the same port and database. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HubProcess, spawnHub } from './process.ts';

/** A hub running as `relaykit start` in its own folder, restartable on the same port and SQLite file. */
export class HubUnderTest {
  private current: HubProcess | null = null;
  private boundPort: number | null = null;

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

  /** The port the first start bound (port 0: the system's pick); restarts reuse it. */
  get port(): number {
    if (this.boundPort === null) throw new Error('the hub has not started yet');
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get process(): HubProcess {
    if (!this.current) throw new Error('the hub is not running');
    return this.current;
  }

  /**
   * Starts the hub (again) on the same port and database. A restart binds the port
   * the first start got, so clients find the hub where they left it; another process
   * could take that port while the hub is down (rare, and accepted here).
   */
  async restart(): Promise<void> {
    this.current = await spawnHub({
      cwd: this.dir,
      ...(this.boundPort === null ? {} : { port: this.boundPort }),
      args: ['--config', join(this.dir, 'relaykit.config.yaml')],
      env: { RELAYKIT_STORAGE_URL: `sqlite:${join(this.dir, 'relaykit.db')}`, ...this.env },
    });
    this.boundPort = this.current.port;
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
