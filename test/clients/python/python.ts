/**
 * Runs the Python SDK's test scripts against live hubs: Debian's python3 (or
 * RELAYKIT_PYTHON) with the `websockets` package, in a virtual environment where the
 * SDK is installed with `pip install ./clients/python` (once per test process). A
 * missing Python fails the tests: .ci/run installs python3 and python3-websockets.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Subprocess, spawn } from 'bun';
import { waitFor } from '../../helpers/hub.ts';

const ROOT = resolve(import.meta.dir, '../../..');
export const SDK_DIR = join(ROOT, 'clients/python');
export const SCRIPTS = join(import.meta.dir, 'scripts');
/** Creating the venv and installing the SDK. */
export const INSTALL_TIMEOUT_MS = 120_000;

/** The interpreter the venv is made from. */
export function systemPython(): string {
  if (process.env.RELAYKIT_PYTHON) return process.env.RELAYKIT_PYTHON;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const found = Bun.which('python3');
  if (!found) throw new Error('python3 is missing: apt-get install -y python3 python3-websockets (.ci/run does it)');
  return found;
}

async function must(command: string[], cwd = ROOT): Promise<string> {
  const proc = spawn(command, { cwd, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, PIP_NO_INPUT: '1' } });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}\n${stdout}\n${stderr}`);
  return stdout;
}

let venv: Promise<string> | null = null;
const venvDirs: string[] = [];

/**
 * The python of a fresh venv (seeing the system's site-packages, for `websockets`)
 * where `pip install ./clients/python` installed the SDK, offline.
 */
export function installedPython(): Promise<string> {
  venv ??= (async () => {
    const python = systemPython();
    await must([python, '-c', 'import sys, websockets; assert sys.version_info >= (3, 10)']);
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-py-'));
    venvDirs.push(dir);
    await must([python, '-m', 'venv', '--system-site-packages', dir]);
    const bin = join(dir, 'bin/python');
    // From a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
    const source = join(dir, 'sdk');
    cpSync(SDK_DIR, source, { recursive: true, filter: (path) => !/(__pycache__|\.egg-info|\/build)$/.test(path) });
    await must([bin, '-m', 'pip', 'install', '--quiet', '--no-index', '--no-build-isolation', source], dir);
    return bin;
  })();
  return venv;
}

export function removeVenvs(): void {
  for (const dir of venvDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  venv = null;
}

/** One line a script printed. */
export type Report = { kind: string } & Record<string, unknown>;

/** A running Python script that prints JSON lines and takes commands on stdin. */
export class PythonScript {
  readonly lines: Report[] = [];
  readonly stderr: Promise<string>;
  private constructor(readonly proc: Subprocess<'pipe', 'pipe', 'pipe'>) {
    this.stderr = new Response(proc.stderr).text();
    void this.read();
  }

  /** Runs `script` (a file in scripts/, or an absolute path) with `args`. */
  static async start(
    script: string,
    env: Record<string, string>,
    options: { cwd?: string; args?: string[] } = {},
  ): Promise<PythonScript> {
    const python = await installedPython();
    const path = script.startsWith('/') ? script : join(SCRIPTS, script);
    const proc = spawn([python, path, ...(options.args ?? [])], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', PYTHONUNBUFFERED: '1', ...env },
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    return new PythonScript(proc);
  }

  private async read(): Promise<void> {
    let pending = '';
    const decoder = new TextDecoder();
    const reader = this.proc.stdout.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      pending += decoder.decode(chunk.value, { stream: true });
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) this.lines.push(JSON.parse(line) as Report);
    }
  }

  /** The lines of one kind. */
  of(kind: string): Report[] {
    return this.lines.filter((l) => l.kind === kind);
  }

  /** Waits until `count` lines of `kind` were printed (fails with the script's stderr if it exits). */
  async waitFor(kind: string, count = 1, timeoutMs = 10_000): Promise<Report[]> {
    await waitFor(
      () => {
        if (this.proc.exitCode !== null && this.of(kind).length < count) {
          throw new Error(`the script exited (${this.proc.exitCode}) before ${count} × ${kind}`);
        }
        return this.of(kind).length >= count;
      },
      timeoutMs,
      `${count} × ${kind} from the Python script`,
    ).catch(async (error) => {
      throw new Error(`${error}\nlines: ${JSON.stringify(this.lines.slice(-20))}\nstderr: ${await this.stderrSoFar()}`);
    });
    return this.of(kind);
  }

  private async stderrSoFar(): Promise<string> {
    if (this.proc.exitCode === null) return '(still running)';
    return this.stderr;
  }

  send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
    this.proc.stdin.flush();
  }

  /** Closes stdin and waits for the exit code. */
  async finish(): Promise<number> {
    this.proc.stdin.end();
    return this.proc.exited;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
