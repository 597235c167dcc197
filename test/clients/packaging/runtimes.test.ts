import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import {
  CONSUMER_DEPS,
  consumerProject,
  INSTALL_TIMEOUT_MS,
  must,
  PACK_TIMEOUT_MS,
  packedTarballs,
  removeConsumers,
} from './packed.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  await packedTarballs();
}, PACK_TIMEOUT_MS);
afterAll(async () => {
  await t.stop();
  removeConsumers();
});

interface ScenarioResult {
  id: number;
  ws: unknown;
  sse: unknown;
  listed: number[];
  missingCode: string | null;
  sseTransport: string;
  nativeWebSocket: boolean;
}

/** Runs fixtures/main.mjs in `dir` with `command` and checks what it saw. */
async function runScenario(command: string[], dir: string, label: string): Promise<ScenarioResult> {
  const stdout = await must([...command, 'main.mjs'], dir, { RK_URL: t.url, RK_LABEL: label });
  const result = JSON.parse(stdout.trim()) as ScenarioResult;
  const event = { id: result.id, channel: 'pkg', event: 'packed', data: { runtime: label }, from: label, to: null };
  expect(result.ws).toMatchObject(event);
  expect(result.sse).toMatchObject(event);
  expect(result.listed).toContain(result.id);
  expect(result.missingCode).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');
  return result;
}

describe('the packed packages, installed from their tarballs into a fresh project', () => {
  test(
    'ship built ESM JavaScript and declarations, not TypeScript sources',
    async () => {
      const dir = await consumerProject('layout');
      for (const pkg of ['client', 'realtime']) {
        const root = join(dir, 'node_modules/@relaykit', pkg);
        expect(existsSync(join(root, 'dist/index.js'))).toBe(true);
        expect(existsSync(join(root, 'dist/index.d.ts'))).toBe(true);
        expect(existsSync(join(root, 'README.md'))).toBe(true);
        expect(existsSync(join(root, 'src'))).toBe(false);
        expect(existsSync(join(root, 'generated'))).toBe(false);
      }
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'Node on PATH (20+) with the `ws` package: REST, WebSocket and SSE (over fetch)',
    async () => {
      const dir = await consumerProject('node', [`ws@${CONSUMER_DEPS.ws}`]);
      const version = (await must(['node', '--version'], dir)).trim();
      expect(Number(version.slice(1).split('.')[0])).toBeGreaterThanOrEqual(20);
      const result = await runScenario(['node'], dir, 'node');
      expect(result.sseTransport).toBe('fetch');
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'Node 22 with its native WebSocket, no `ws` installed',
    async () => {
      // The `node` package brings a Node 22 binary into the project, so this runs on
      // machines whose own node is 20.
      const dir = await consumerProject('node22', [`node@${CONSUMER_DEPS.node}`]);
      const node = join(dir, 'node_modules/.bin/node');
      expect((await must([node, '--version'], dir)).trim()).toBe(`v${CONSUMER_DEPS.node}`);
      expect(existsSync(join(dir, 'node_modules/ws'))).toBe(false);
      const result = await runScenario([node], dir, 'node22');
      expect(result.nativeWebSocket).toBe(true);
      expect(result.sseTransport).toBe('fetch');
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'Bun: REST, its own WebSocket, SSE',
    async () => {
      const dir = await consumerProject('bun');
      const result = await runScenario(['bun'], dir, 'bun');
      expect(result.nativeWebSocket).toBe(true);
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'Deno: REST, its own WebSocket and EventSource, the packages from node_modules',
    async () => {
      if (!Bun.which('deno')) throw new Error('deno is not on PATH (.ci/run installs it)');
      const dir = await consumerProject('deno');
      const result = await runScenario(
        ['deno', 'run', '--no-lock', '--allow-net', '--allow-env', '--allow-read'],
        dir,
        'deno',
      );
      expect(result.nativeWebSocket).toBe(true);
      expect(result.sseTransport).toBe('eventsource');
    },
    INSTALL_TIMEOUT_MS,
  );
});
