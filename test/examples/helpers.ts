/**
 * Running the examples as their READMEs say: the shell lines of a marked block, each
 * started as a process group (so `bun run start` and its child stop together), with
 * their output read line by line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Subprocess, spawn } from 'bun';
import { readyPort } from '../helpers/process.ts';

export const ROOT = resolve(import.meta.dir, '../..');

/**
 * The commands of the README block marked `<!-- name:start -->` … `<!-- name:end -->`:
 * one per line of its sh code (`\` continuations joined), without `# comments`.
 */
export function readmeCommands(readme: string, name: string): string[] {
  const text = readFileSync(resolve(ROOT, readme), 'utf8');
  const match = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\`\\s*<!-- ${name}:end -->`).exec(
    text,
  );
  if (!match) throw new Error(`${readme} has no ${name} block`);
  return match[1]
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** A command line running in its own process group, its output collected line by line. */
export class Command {
  readonly lines: string[] = [];
  private readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  private readonly reading: Promise<void>;

  constructor(
    readonly line: string,
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) {
    // exec: the command itself (not the shell) gets the signals and reports the exit code.
    this.proc = spawn(['sh', '-c', `exec ${line}`], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: true,
    });
    this.reading = Promise.all([this.read(this.proc.stdout), this.read(this.proc.stderr)]).then(() => {});
  }

  get exited(): Promise<number> {
    return this.proc.exited;
  }

  get output(): string {
    return this.lines.join('\n');
  }

  /** Resolves with the first line matching `pattern` (already printed or to come). */
  async waitForLine(pattern: RegExp, ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find((l) => pattern.test(l));
      if (found) return found;
      if (this.proc.exitCode !== null) {
        throw new Error(`"${this.line}" exited (${this.proc.exitCode}) before printing ${pattern}:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`"${this.line}" did not print ${pattern} in time:\n${this.output}`);
      await Bun.sleep(20);
    }
  }

  /**
   * For a command that starts a hub (on port 0): waits for its "relaykit ready" line
   * and resolves with the base URL on the port that line names.
   */
  async readyUrl(ms = 30_000): Promise<string> {
    const line = await this.waitForLine(/relaykit ready/, ms);
    const port = readyPort(line);
    if (port === null) throw new Error(`"${this.line}" printed a ready line without a port: ${line}`);
    return `http://127.0.0.1:${port}`;
  }

  /** Waits for the command to exit by itself; resolves with its exit code. */
  async finished(ms = 30_000): Promise<number> {
    const timer = setTimeout(() => this.signal('SIGKILL'), ms);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.reading;
    return code;
  }

  /** Signals the whole process group and waits for the command to exit (SIGKILL after 10 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), 10_000);
    const code = await this.proc.exited;
    clearTimeout(timer);
    // The shell may exit before its children: make sure the group is gone.
    this.signal('SIGKILL');
    return code;
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let rest = '';
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parts = (rest + decoder.decode(value, { stream: true })).split('\n');
      rest = parts.pop() ?? '';
      this.lines.push(...parts);
    }
    if (rest) this.lines.push(rest);
  }
}
