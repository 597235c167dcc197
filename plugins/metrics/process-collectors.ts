/**
 * prom-client's default process metrics, made one family at a time rather than through
 * `collectDefaultMetrics`, for one reason: its heap-space family calls
 * `v8.getHeapSpaceStatistics()` once when it is made, to find out whether the runtime
 * has it, and on Bun that first call costs several milliseconds (about 3% of a cold
 * start), though the hub leaves those gauges out by default (empty on Bun). `heapSpaces`
 * below makes the same three gauges and reads the statistics only when they are collected. The other families are prom-client's own, in its order.
 */
import { getHeapSpaceStatistics } from 'node:v8';
// @ts-expect-error prom-client ships types for its index only
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag.js';
// @ts-expect-error prom-client ships types for its index only
import gc from 'prom-client/lib/metrics/gc.js';
// @ts-expect-error prom-client ships types for its index only
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
// @ts-expect-error prom-client ships types for its index only
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
// @ts-expect-error prom-client ships types for its index only
import processHandles from 'prom-client/lib/metrics/processHandles.js';
// @ts-expect-error prom-client ships types for its index only
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
// @ts-expect-error prom-client ships types for its index only
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
// @ts-expect-error prom-client ships types for its index only
import processRequests from 'prom-client/lib/metrics/processRequests.js';
// @ts-expect-error prom-client ships types for its index only
import processResources from 'prom-client/lib/metrics/processResources.js';
// @ts-expect-error prom-client ships types for its index only
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
// @ts-expect-error prom-client ships types for its index only
import version from 'prom-client/lib/metrics/version.js';
import { Counter, Gauge, type Registry } from '../../src/kernel/prom.ts';

type Family = (registry: Registry, config: { eventLoopMonitoringPrecision: number }) => void;

/** Registers every default family in `registry`, as `collectDefaultMetrics({ register })` does. */
export function collectProcessMetrics(registry: Registry): void {
  const families: Family[] = [
    processCpu,
    processStartTime,
    osMemoryHeap,
    processOpenFileDescriptors,
    processMaxFileDescriptors,
    eventLoopLag,
    ...(typeof process.getActiveResourcesInfo === 'function' ? [processResources as Family] : []),
    processHandles,
    processRequests,
    heapSizeAndUsed,
    heapSpaces,
    version,
    gc,
  ];
  // prom-client's default precision for the event-loop delay monitor.
  for (const family of families) family(registry, { eventLoopMonitoringPrecision: 10 });
}

/** `nodejs_heap_space_size_{total,used,available}_bytes{space}`, read at collection only. */
function heapSpaces(registry: Registry): void {
  const gauge = (kind: string, collect?: () => void) =>
    new Gauge({
      name: `nodejs_heap_space_size_${kind}_bytes`,
      help: `Process heap space size ${kind} from Node.js in bytes.`,
      labelNames: ['space'],
      registers: [registry],
      collect,
    });
  // Like prom-client's: the first gauge's (synchronous) collect sets all three.
  const total = gauge('total', function collectHeapSpaces() {
    for (const space of getHeapSpaceStatistics()) {
      const name = space.space_name.slice(0, space.space_name.indexOf('_space'));
      total.set({ space: name }, space.space_size);
      used.set({ space: name }, space.space_used_size);
      available.set({ space: name }, space.space_available_size);
    }
  });
  const used = gauge('used');
  const available = gauge('available');
}

/**
 * `process_cpu_{user,system}_seconds_total` and `process_cpu_seconds_total`: the CPU time
 * the process has spent since it started (prom-client's count from when they are made,
 * which for the hub is after its start: the metrics plugin makes them after a delay).
 */
function processCpu(registry: Registry): void {
  let last = { user: 0, system: 0 };
  const counter = (name: string, help: string, collect?: () => void) =>
    new Counter({ name, help, registers: [registry], collect });
  // Like prom-client's: the first counter's collect advances all three.
  const user = counter(
    'process_cpu_user_seconds_total',
    'Total user CPU time spent in seconds.',
    function collectCpu() {
      const usage = process.cpuUsage();
      const userMicros = usage.user - last.user;
      const systemMicros = usage.system - last.system;
      last = usage;
      user.inc({}, userMicros / 1e6);
      system.inc({}, systemMicros / 1e6);
      total.inc({}, (userMicros + systemMicros) / 1e6);
    },
  );
  const system = counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.');
  const total = counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
}
