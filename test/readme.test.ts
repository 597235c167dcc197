import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'bun';
import { builtinPlugins } from '../plugins/index.ts';
import { REFERENCE, renderReference } from '../scripts/config-reference.ts';
import { loadConfig, schemaFor } from '../src/config/load.ts';
import { publishedSchema } from '../src/config/schema.ts';
import { waitForReady } from './helpers/process.ts';

const ROOT = resolve(import.meta.dir, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'relaykit-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shell command inside a marked block of the README. */
function block(name: string): string {
  const match = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\`\\s*<!-- ${name}:end -->`).exec(
    readme,
  );
  if (!match) throw new Error(`README has no ${name} block`);
  return match[1].trim();
}

describe('README', () => {
  test('the quick start works from a clean clone: install, start, send and read a message', async () => {
    const command = block('quickstart');
    // The first step installs Bun from npm; this machine already runs Bun, the rest runs as written.
    expect(command).toStartWith('npm install -g bun && ');
    const rest = command.slice('npm install -g bun && '.length);
    const clone = join(work, 'clone');
    const git = spawn(['git', 'clone', '--quiet', ROOT, clone], { stdout: 'ignore', stderr: 'pipe' });
    expect(await git.exited).toBe(0);

    // Its own process group (setsid): `bun run start` starts the hub as a child, and the
    // whole group must stop with the test. Port 0: the ready line says which port it got.
    const hub = spawn(['setsid', 'sh', '-c', rest], {
      cwd: clone,
      env: { ...process.env, RELAYKIT_PORT: '0', RELAYKIT_HOST: '127.0.0.1' },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    try {
      const { url } = await waitForReady(hub, 'quick start', 60_000);
      const sent = await fetch(`${url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'planner', to: 'coder', type: 'task.created', payload: { title: 'Write tests' } }),
      });
      expect(sent.status).toBe(201);
      const inbox = await (await fetch(`${url}/messages?client=coder`)).json();
      expect(inbox.messages).toHaveLength(1);
      expect(existsSync(join(clone, 'data', 'relaykit.db'))).toBe(true);
    } finally {
      process.kill(-hub.pid, 'SIGTERM');
      await hub.exited;
    }
  }, 120_000);

  // Registered only where Deno is installed (CI installs it).
  if (Bun.which('deno')) {
    test('the Deno quick start works from a clean clone: install, deno task start, send and read', async () => {
      const command = block('quickstart-deno');
      expect(command).toStartWith('npm install -g deno && ');
      const steps = command.slice('npm install -g deno && '.length).split(' && ');
      const last = steps.pop();
      const clone = join(work, 'clone-deno');
      const git = spawn(['git', 'clone', '--quiet', ROOT, clone], { stdout: 'ignore', stderr: 'pipe' });
      expect(await git.exited).toBe(0);

      // exec: the signal reaches `deno task`, which forwards it to the hub. Port 0: the
      // ready line says which port it got.
      const hub = spawn(['sh', '-c', `${steps.join(' && ')} && exec ${last}`], {
        cwd: clone,
        env: { ...process.env, RELAYKIT_PORT: '0', RELAYKIT_HOST: '127.0.0.1', NO_COLOR: '1' },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const ready = waitForReady(hub, 'Deno quick start', 90_000);
      try {
        const { url } = await ready;
        const sent = await fetch(`${url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: 'planner', to: 'coder', type: 'task.created', payload: { title: 'Deno' } }),
        });
        expect(sent.status).toBe(201);
        const inbox = await (await fetch(`${url}/messages?client=coder`)).json();
        expect(inbox.messages).toHaveLength(1);
        expect(existsSync(join(clone, 'data', 'relaykit.db'))).toBe(true);
      } finally {
        hub.kill('SIGTERM');
        expect(await hub.exited).toBe(0);
      }
      expect(await (await ready).output()).toContain('"msg":"relaykit stopped"');
    }, 120_000);
  }

  test('the test command is what CI runs', () => {
    expect(block('test')).toBe('bun run test');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain('\nbun run test\n');
  });

  test('relaykit.schema.json is the schema the CLI prints (it never drifts)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'relaykit.schema.json'), 'utf8'));
    const current = publishedSchema(schemaFor(new Map(builtinPlugins.map((p) => [p.name, p]))));
    expect(committed).toEqual(current);
  });

  test('docs/configuration.md is generated from the schema (run `bun run docs:config` after changing options)', () => {
    expect(readFileSync(REFERENCE, 'utf8')).toBe(renderReference());
  });

  test('the example config is valid', async () => {
    const { found } = await loadConfig(
      join(ROOT, 'relaykit.config.example.yaml'),
      {},
      new Map(builtinPlugins.map((p) => [p.name, p])),
    );
    expect(found).toBe(true);
  });
});
