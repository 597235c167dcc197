import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

let child: Subprocess<'ignore', 'pipe', 'inherit'> | undefined;
let dir: string | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = undefined;
  dir = undefined;
});

/** Reads the hub's JSON log lines (all of them, so its stdout never breaks) and resolves with its URL once ready. */
function readyUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = stdout.getReader();
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value);
        const line = buffered.split('\n').find((l) => l.includes('"relaykit ready"'));
        if (line) resolve(JSON.parse(line).url);
      }
      reject(new Error('the hub exited before it was ready'));
    })().catch(reject);
  });
}

test('on SIGTERM readiness turns 503 first and the server keeps accepting until the drain delay ends', async () => {
  dir = mkdtempSync(join(tmpdir(), 'relaykit-drain-'));
  writeFileSync(
    join(dir, 'relaykit.config.yaml'),
    [
      'server: { host: 127.0.0.1, port: 0, drainDelayMs: 600 }',
      `storage: { url: "sqlite:${join(dir, 'hub.db')}" }`,
      'watch: false',
      'log: { level: info }',
    ].join('\n'),
  );
  child = Bun.spawn(
    ['bun', join(import.meta.dir, '../../../src/cli.ts'), 'start', '-c', join(dir, 'relaykit.config.yaml')],
    {
      stdout: 'pipe',
      stderr: 'inherit',
      stdin: 'ignore',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    },
  );
  const url = await readyUrl(child.stdout);
  expect((await fetch(`${url}/health/ready`)).status).toBe(200);

  const sentAt = performance.now();
  child.kill('SIGTERM');
  // The signal arrives asynchronously: poll until the hub has seen it.
  let draining = await fetch(`${url}/health/ready`);
  while (draining.status === 200 && performance.now() - sentAt < 500) draining = await fetch(`${url}/health/ready`);
  expect(draining.status).toBe(503);
  expect((await draining.json()).output).toBe('the hub is draining');
  // Still serving everything else while load balancers stop routing here.
  expect((await fetch(`${url}/health/live`)).status).toBe(200);
  expect((await fetch(`${url}/messages?channel=c`)).status).toBe(200);
  expect(performance.now() - sentAt).toBeLessThan(600);

  expect(await child.exited).toBe(0);
  expect(performance.now() - sentAt).toBeGreaterThanOrEqual(600);
  await expect(fetch(`${url}/health/live`)).rejects.toThrow();
});
