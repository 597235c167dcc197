/**
 * The Python SDK type-checks under `mypy --strict` (settings in clients/python/pyproject.toml):
 * what `py.typed` promises its users. Debian's `mypy` package; a missing mypy fails the test
 * (.ci/run installs it).
 */
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'bun';
import { SDK_DIR, systemPython } from './python.ts';

async function mypy(args: string[]) {
  const proc = spawn([systemPython(), '-m', 'mypy', ...args], {
    cwd: SDK_DIR,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, MYPY_CACHE_DIR: '/dev/null' },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

test('the Python SDK passes mypy --strict', async () => {
  const version = await mypy(['--version']);
  if (version.code !== 0)
    throw new Error(`mypy is missing: apt-get install -y mypy (.ci/run does it)\n${version.stderr}`);
  const result = await mypy([]);
  expect(`${result.stdout}${result.stderr}`).toContain('Success: no issues found');
  expect(result.code).toBe(0);
}, 120_000);

test('mypy reads the strict settings, so a type error in the SDK would fail the check above', async () => {
  // The same settings on a snippet with an untyped function and a wrong return type.
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-mypy-'));
  try {
    const snippet = join(dir, 'wrong.py');
    writeFileSync(
      snippet,
      'import relaykit\ndef untyped(x): return x\nasync def f() -> int:\n    return await relaykit.HubClient("http://h").plugins()\n',
    );
    const result = await mypy([snippet]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no-untyped-def');
    expect(result.stdout).toContain('return-value');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
