import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'bun';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { availableRuntimes } from '../../helpers/process.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const SDK_SOURCE = join(ROOT, 'clients/realtime/src/index.ts');
const PROBE = join(import.meta.dir, 'fixtures/sdk-probe.mjs');

let t: TestHub;
const work = mkdtempSync(join(tmpdir(), 'relaykit-sdk-runtimes-'));
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the probe script with `command`; resolves with its one JSON line. */
async function probe(command: string[], env: Record<string, string>) {
  const proc = spawn([...command, PROBE], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', RK_URL: t.url, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${command[0]} exited with ${code}: ${stderr}`);
  return JSON.parse(stdout.trim()) as { messageId: number; sseTransport: string; ws: unknown; sse: unknown };
}

function expectBothTransports(result: Awaited<ReturnType<typeof probe>>, runtime: string) {
  const event = { id: result.messageId, channel: 'rt', event: 'hello', data: { runtime }, from: 'probe-ws', to: null };
  expect(result.ws).toMatchObject(event);
  expect(result.sse).toMatchObject(event);
}

describe('the realtime SDK on other runtimes', () => {
  if (availableRuntimes().some((r) => r.name === 'deno')) {
    test('Deno: type-checks, and runs from source with its own WebSocket and EventSource', async () => {
      const check = spawn(['deno', 'check', '--no-lock', SDK_SOURCE], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
      expect(await check.exited).toBe(0);
      const result = await probe(['deno', 'run', '--no-lock', '--allow-net', '--allow-env', '--allow-read'], {
        RK_SDK: SDK_SOURCE,
        RK_RUNTIME: 'deno',
      });
      expect(result.sseTransport).toBe('eventsource');
      expectBothTransports(result, 'deno');
    });
  }

  test('Node 20+: the bundled SDK runs with the `ws` package as its WebSocket and fetch for SSE', async () => {
    const version = spawn(['node', '--version'], { stdout: 'pipe' });
    const major = Number((await new Response(version.stdout).text()).trim().slice(1).split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(20);
    const bundle = await Bun.build({ entrypoints: [SDK_SOURCE], outdir: work, target: 'browser', format: 'esm' });
    expect(bundle.success).toBe(true);
    const result = await probe(['node'], {
      RK_SDK: join(work, 'index.js'),
      RK_WS: 'ws',
      RK_RUNTIME: 'node',
    });
    expect(result.sseTransport).toBe('fetch');
    expectBothTransports(result, 'node');
  });
});
