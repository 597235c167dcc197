/**
 * Compiles an entry point into a single executable with exactly the flags of
 * `bun run build` (read from package.json), so the binary test and the cold-start
 * benchmark check what users ship, not a look-alike.
 */
import { join } from 'node:path';
import { spawn } from 'bun';

const ROOT = join(import.meta.dir, '..');

/** The `bun build` arguments of the package's build script, without its entry point and output. */
export async function buildFlags(): Promise<string[]> {
  const pkg = (await Bun.file(join(ROOT, 'package.json')).json()) as { scripts: { build: string } };
  const words = pkg.scripts.build.split(/\s+/).filter(Boolean);
  if (words[0] !== 'bun' || words[1] !== 'build') throw new Error(`unexpected build script: ${pkg.scripts.build}`);
  const flags: string[] = [];
  for (let i = 2; i < words.length; i++) {
    if (words[i] === '--outfile') i++;
    else if (words[i].startsWith('-')) flags.push(words[i]);
  }
  return flags;
}

/** Compiles `entry` (a path) to `outfile`; throws with bun's output when the build fails. */
export async function compile(entry: string, outfile: string): Promise<void> {
  const proc = spawn(['bun', 'build', ...(await buildFlags()), entry, '--outfile', outfile], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`bun build ${entry} failed (${code}):\n${stdout}${stderr}`);
}
