/**
 * Relaykit under test: the hub with its built-in plugins (sse among them), a fresh
 * SQLite file, no logs. Messages go in through POST /messages like any client's.
 *
 *   bun bench/sse/hub.ts <port>
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from '../../plugins/index.ts';
import { Hub } from '../../src/kernel/hub.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-sse-'));
const hub = await Hub.start({
  plugins: builtinPlugins,
  configPath: join(dir, 'relaykit.config.yaml'),
  env: {},
  overrides: {
    server: { host: '127.0.0.1', port: Number(process.argv[2] ?? 0) },
    storage: { url: `sqlite:${join(dir, 'relaykit.db')}` },
    watch: false,
    // Every benchmark stream comes from 127.0.0.1: lift the per-IP cap.
    limits: { connectionsPerIp: 1_000_000, connectionsPerIdentity: 1_000_000 },
    plugins: { sse: { maxStreams: 50_000 } },
  },
  runtime: bunRuntime,
  logger: silentLogger,
});

async function shutdown() {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('SIGUSR2', () => Bun.gc(true));
console.log(JSON.stringify({ ready: true, port: hub.port }));
