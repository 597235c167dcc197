/**
 * The hub under test, embedded so the bench can watch its event loop: a timer
 * measures the longest gap between its ticks (the worst stall), and a bench route
 * starts the sweeper and reports what it did.
 *
 *   PORT=... DB_PATH=... bun bench/ttl/hub.ts
 *
 * POST /bench/ttl/reset  resets the stall monitor
 * POST /bench/ttl/start  resets the stall monitor and turns the sweeper on
 * GET  /bench/ttl        { expired, sweepMs, worstStallMs, worstOwnStallMs, ... }
 *
 * TTL_OPTIONS (JSON) is merged into the ttl plugin's options (try other batch sizes).
 */
import { readFileSync } from 'node:fs';
import { Elysia } from 'elysia';
import { builtinPlugins } from '../../plugins/index.ts';
import { Hub } from '../../src/kernel/hub.ts';
import { silentLogger } from '../../src/kernel/logger.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';

const ttlOptions = JSON.parse(process.env.TTL_OPTIONS ?? '{}');
const TICK_MS = 5;

/**
 * Milliseconds this thread has spent runnable but waiting for a CPU (Linux
 * schedstat), or null elsewhere. On a busy machine most of a long stall is that wait;
 * a stall less it is what the hub itself held the loop for (running or in a syscall).
 */
function runQueueMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return null;
  }
}

let last = performance.now();
let lastQueued = runQueueMs();
let worstStallMs = 0;
let worstOwnStallMs = 0;
setInterval(() => {
  const now = performance.now();
  const queued = runQueueMs();
  const stall = now - last - TICK_MS;
  worstStallMs = Math.max(worstStallMs, stall);
  worstOwnStallMs = Math.max(
    worstOwnStallMs,
    stall - (queued !== null && lastQueued !== null ? queued - lastQueued : 0),
  );
  last = now;
  lastQueued = queued;
}, TICK_MS);

let startedAt: number | null = null;
let lastExpiredAt: number | null = null;
let expired = 0;
let events = 0;

const hub = await Hub.start({
  plugins: builtinPlugins,
  configPath: '/nonexistent/relaykit.config.yaml',
  env: {},
  runtime: bunRuntime,
  logger: silentLogger,
  overrides: {
    server: { host: '127.0.0.1', port: Number(process.env.PORT) },
    storage: { url: `sqlite:${process.env.DB_PATH}` },
    auth: { adminToken: 'bench-admin-token' },
    watch: false,
    // Idle until /bench/ttl/start: an hour between sweeps.
    plugins: { ttl: { ...ttlOptions, sweeper: { ...ttlOptions.sweeper, intervalMs: 3_600_000 } } },
  },
  routes: () =>
    new Elysia({ name: 'bench-ttl' })
      .post('/bench/ttl/reset', () => {
        worstStallMs = 0;
        worstOwnStallMs = 0;
        return { ok: true };
      })
      .post('/bench/ttl/start', async () => {
        // The sweep starts 10 ms after the reconfigured plugin; the swap itself is not sweep work.
        await hub.patchPlugin('ttl', { options: { sweeper: { intervalMs: 10 } } });
        worstStallMs = 0;
        worstOwnStallMs = 0;
        startedAt = performance.now();
        return { ok: true };
      })
      .get('/bench/ttl', async () => ({
        expired,
        events,
        sweepMs: startedAt !== null && lastExpiredAt !== null ? lastExpiredAt - startedAt : null,
        worstStallMs,
        worstOwnStallMs,
        batchesOver50ms: await batchesOver(0.05),
      })),
});
hub.bus.on('message.expired', (e) => {
  expired += e.ids.length;
  events++;
  lastExpiredAt = performance.now();
});

/** Delete transactions that took longer than `seconds`, from the sweeper's own histogram. */
async function batchesOver(seconds: number): Promise<number> {
  const metric = await hub.registry.getSingleMetric('relaykit_ttl_sweep_batch_duration_seconds')?.get();
  if (!metric) return 0;
  const values = metric.values as { value: number; labels: { le?: number | string }; metricName?: string }[];
  const count = values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const under = values.find((v) => v.labels.le === seconds)?.value ?? 0;
  return count - under;
}

process.on('SIGTERM', async () => {
  await hub.stop();
  process.exit(0);
});
