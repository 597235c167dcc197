/**
 * Start-up that fails loudly: each problem an operator can fix is one line on
 * stderr and exit code 1, on every runtime; the ready line says what started.
 */
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Runtime, runCli, spawnHub } from '../helpers/process.ts';
import { forEachRuntime, startHub } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the CLI as the unprivileged user `nobody` (uid/gid 65534) with setpriv, so
 * file permissions apply. Missing setpriv fails the test: util-linux ships it.
 */
async function startAsNobody(runtime: Runtime, args: string[]) {
  const setpriv = Bun.which('setpriv');
  if (!setpriv) throw new Error('setpriv is missing (util-linux): it runs the hub as nobody');
  chmodSync(dir, 0o755);
  const home = mkdtempSync(join(dir, 'nobody-'));
  chownSync(home, 65534, 65534);
  return runCli(
    [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...runtime.command, ...args],
    dir,
    { HOME: home, DENO_DIR: join(home, 'deno'), RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: 'sqlite::memory:' },
    { ...runtime, command: [] },
  );
}

/** The one line a failed start wrote to stderr (the test fails if there is more). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

forEachRuntime('start-up errors', (runtime) => {
  const start = (args: string[], env: Record<string, string> = {}) =>
    runCli(
      ['start', ...args],
      dir,
      { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_STORAGE_URL: 'sqlite::memory:', ...env },
      runtime,
    );

  test('a port already in use is one line and exit 1, and the first hub keeps it', async () => {
    const first = await startHub(runtime);
    try {
      const res = await start([], { RELAYKIT_PORT: String(first.process.port) });
      expect(res.code).toBe(1);
      expect(oneLine(res.stderr)).toBe(
        `relaykit: cannot listen on 127.0.0.1:${first.process.port}: the address is already in use (is another hub running?)`,
      );
      expect((await first.request('/messages?limit=1')).status).toBe(200);
    } finally {
      await first.dispose();
    }
  });

  test('--config naming a missing file is an error', async () => {
    const res = await start(['--config', 'nope.yaml'], { RELAYKIT_PORT: '0' });
    expect(res.code).toBe(1);
    expect(oneLine(res.stderr)).toBe(`relaykit: ${join(dir, 'nope.yaml')}: config file not found (named by --config)`);
  });

  test('RELAYKIT_CONFIG naming a missing file is an error', async () => {
    const res = await start([], { RELAYKIT_PORT: '0', RELAYKIT_CONFIG: 'absent.yaml' });
    expect(res.code).toBe(1);
    expect(oneLine(res.stderr)).toBe(
      `relaykit: ${join(dir, 'absent.yaml')}: config file not found (named by RELAYKIT_CONFIG)`,
    );
  });

  test('a config path that is a directory is one line', async () => {
    mkdirSync(join(dir, `folder-${runtime.name}.yaml`), { recursive: true });
    const res = await start(['--config', `folder-${runtime.name}.yaml`], { RELAYKIT_PORT: '0' });
    expect(res.code).toBe(1);
    expect(oneLine(res.stderr)).toBe(
      `relaykit: ${join(dir, `folder-${runtime.name}.yaml`)}: is a directory, not a config file`,
    );
  });

  // Root reads any file whatever its mode: as root, the hub runs as `nobody` through
  // setpriv (util-linux), so the case runs here too instead of being skipped.
  test('an unreadable config file is one line', async () => {
    const file = join(dir, `locked-${runtime.name}.yaml`);
    writeFileSync(file, 'server:\n  port: 0\n');
    chmodSync(file, 0o000);
    const res =
      process.getuid?.() === 0
        ? await startAsNobody(runtime, ['start', '--config', file])
        : await start(['--config', file]);
    expect(res.code).toBe(1);
    expect(oneLine(res.stderr)).toBe(`relaykit: ${file}: cannot read the config file (EACCES)`);
  });

  test('a bad value from the environment is blamed on its variable, not on the file', async () => {
    writeFileSync(join(dir, 'ok.yaml'), 'log:\n  level: warn\n');
    const res = await start(['--config', 'ok.yaml'], { RELAYKIT_PORT: 'abc' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('server.port (from RELAYKIT_PORT): expected integer >= 0 and <= 65535, got "abc"');
    expect(res.stderr).not.toContain('ok.yaml');
  });

  test('an empty RELAYKIT_CONFIG counts as unset: the hub starts on defaults and says so', async () => {
    const cwd = mkdtempSync(join(dir, `empty-env-${runtime.name}-`));
    const hub = await spawnHub({
      cwd,
      runtime,
      env: { RELAYKIT_CONFIG: '', RELAYKIT_STORAGE_URL: `sqlite:${join(cwd, 'hub.db')}` },
    });
    hub.proc.kill('SIGTERM');
    expect(await hub.proc.exited).toBe(0);
    const ready = readyRecord(await hub.output());
    expect(ready.config).toBe('none, defaults');
    expect(ready.url).toBe(hub.url);
    expect(ready.store).toBe(`sqlite:${join(cwd, 'hub.db')}`);
    expect(ready.auth).toBe('realtime open, admin disabled');
    expect(ready.plugins).toEqual(expect.arrayContaining(['sse', 'ws-channels', 'webhooks', 'metrics', 'health']));
  });

  test('a SIGTERM sent the moment "relaykit ready" is logged stops the hub gracefully', async () => {
    // Supervisors (and this suite's harness) act on the ready line: by then the signal handlers are in.
    for (let i = 0; i < 3; i++) {
      const cwd = mkdtempSync(join(dir, `ready-term-${runtime.name}-`));
      const hub = await spawnHub({ cwd, runtime, env: { RELAYKIT_STORAGE_URL: 'sqlite::memory:' } });
      hub.proc.kill('SIGTERM');
      expect(await hub.proc.exited).toBe(0);
      expect(await hub.output()).toContain('"msg":"shutting down"');
    }
  });

  test('the ready line names the config file and the auth mode; log.format pretty writes readable lines', async () => {
    const cwd = mkdtempSync(join(dir, `pretty-${runtime.name}-`));
    const file = join(cwd, 'hub.yaml');
    writeFileSync(
      file,
      'log:\n  format: pretty\nauth:\n  adminToken: admin-secret-1\n  jwt:\n    secret: a-shared-secret-of-32-characters\n    required: true\n',
    );
    const hub = await spawnHub({
      cwd,
      runtime,
      args: ['--config', file],
      env: { RELAYKIT_STORAGE_URL: 'sqlite::memory:' },
    });
    hub.proc.kill('SIGTERM');
    expect(await hub.proc.exited).toBe(0);
    const line = (await hub.output()).split('\n').find((l) => l.includes('relaykit ready')) ?? '';
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d INFO {2}relaykit ready /);
    expect(line).toContain(`url=${hub.url} `);
    expect(line).toContain(`config=${file}`);
    expect(line).toContain('auth=realtime jwt required, admin token');
    expect(line).toContain('store=sqlite::memory:');
  });
});

/** The JSON record of the "relaykit ready" line in a hub's output. */
function readyRecord(output: string): Record<string, unknown> {
  const line = output.split('\n').find((l) => l.includes('"relaykit ready"'));
  if (!line) throw new Error(`no ready line in:\n${output}`);
  return JSON.parse(line);
}
