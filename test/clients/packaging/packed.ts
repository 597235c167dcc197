/**
 * Packs @relaykit/client and @relaykit/realtime with `npm pack` (whose `prepack` runs
 * the packages' `build`) once per test process, and makes consumer projects in fresh
 * temporary folders OUTSIDE the repository that install the tarballs with npm, so
 * nothing resolves through the repository's node_modules or tsconfig paths.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'bun';

const ROOT = resolve(import.meta.dir, '../../..');
export const FIXTURES = join(import.meta.dir, 'fixtures');
/** Building and packing both packages (tsc twice). */
export const PACK_TIMEOUT_MS = 180_000;
/** Installing into a consumer project and running it. */
export const INSTALL_TIMEOUT_MS = 120_000;
/** Versions the consumer projects install from the npm registry (pinned). */
export const CONSUMER_DEPS = {
  ws: '8.23.0',
  typescript: '5.9.3',
  '@types/node': '20.19.9',
  /** The `node` package: a Node.js 22 binary from the npm registry, whatever node is on PATH. */
  node: '22.23.3',
} as const;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` in `cwd` and collects its output. */
export async function run(command: string[], cwd: string, env: Record<string, string> = {}): Promise<CommandResult> {
  const proc = spawn(command, {
    cwd,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', npm_config_update_notifier: 'false', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Runs `command` and throws with its output unless it exits with 0. */
export async function must(command: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const result = await run(command, cwd, env);
  if (result.code !== 0) {
    throw new Error(`${command.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const folders: string[] = [];
let tarballs: Promise<{ client: string; realtime: string }> | null = null;

/** The two tarballs, packed on first use. */
export function packedTarballs(): Promise<{ client: string; realtime: string }> {
  tarballs ??= (async () => {
    // Kept for the whole test process (every packaging test file shares the tarballs).
    const out = mkdtempSync(join(tmpdir(), 'relaykit-packs-'));
    process.on('exit', () => rmSync(out, { recursive: true, force: true }));
    await must(['npm', 'pack', '--silent', '--pack-destination', out], join(ROOT, 'clients/typescript'));
    await must(['npm', 'pack', '--silent', '--pack-destination', out], join(ROOT, 'clients/realtime'));
    const files = readdirSync(out);
    const find = (prefix: string) => {
      const file = files.find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
      if (!file) throw new Error(`npm pack wrote no ${prefix}*.tgz into ${out}`);
      return join(out, file);
    };
    return { client: find('relaykit-client-'), realtime: find('relaykit-realtime-') };
  })();
  return tarballs;
}

/**
 * A fresh project with both tarballs (and `extra` registry packages) installed by npm,
 * and the fixture files copied in. Removed by `removeConsumers`.
 */
export async function consumerProject(name: string, extra: string[] = []): Promise<string> {
  const { client, realtime } = await packedTarballs();
  const dir = mkdtempSync(join(tmpdir(), `relaykit-consumer-${name}-`));
  folders.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  await must(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error', client, realtime, ...extra], dir);
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

export function removeConsumers(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}
