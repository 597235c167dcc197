/**
 * A hub for the scrape benchmark: the built-in plugins plus filler gauges so that
 * `GET /metrics` exposes `SERIES` series (default 1,000). Prints `{"url": ...}` when ready.
 *
 *   taskset -c 0 bun bench/metrics/server.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from '../../plugins/index.ts';
import { Hub } from '../../src/kernel/hub.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { countSeries, fillTo } from './series.ts';

const target = Number(process.env.SERIES ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'relaykit-bench-metrics-'));
const hub = await Hub.start({
  plugins: builtinPlugins,
  configPath: join(dir, 'none.yaml'),
  env: {},
  overrides: {
    server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 0) },
    storage: { url: `sqlite:${join(dir, 'bench.db')}` },
    watch: false,
    // The snapshot timer would add its own work to the scrape numbers.
    plugins: { metrics: { snapshots: { intervalMs: 0 } } },
  },
  runtime: bunRuntime,
  logger: silentLogger,
});
// Touch the benchmarked routes first so their request-duration series already exist.
for (const path of ['/health/live', '/metrics', '/metrics']) await (await fetch(`${hub.url}${path}`)).text();
fillTo(hub.registry, countSeries(await (await fetch(`${hub.url}/metrics`)).text()), target);
const series = countSeries(await (await fetch(`${hub.url}/metrics`)).text());
console.log(JSON.stringify({ url: hub.url, series }));
process.on('SIGTERM', () => void hub.stop().then(() => process.exit(0)));
