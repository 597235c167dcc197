import { statfs } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HealthCheck, HealthResult, HealthStatus } from '../../src/kernel/health.ts';
import type { HubView } from '../../src/kernel/plugin.ts';
import type { HealthOptions } from './options.ts';

/** `value` against warn/fail thresholds where higher is worse (a threshold of 0 is off). */
export function grade(value: number, warn: number, fail: number): HealthStatus {
  if (fail > 0 && value > fail) return 'fail';
  if (warn > 0 && value > warn) return 'warn';
  return 'pass';
}

/**
 * The event-loop delay over the window since the last run, from the runtime's
 * delay histogram (node:perf_hooks, on Bun and Deno alike). It samples with real
 * timers on purpose: it measures the real event loop, which a test clock cannot stall.
 * It starts sampling `delayMs` after `start`: enabling the histogram is a few
 * milliseconds of a cold start, and what blocks the loop then is the hub's own
 * start, not the delay requests would see (the checks' first run finds no samples and passes).
 */
export class EventLoopMonitor {
  private histogram: ReturnType<typeof monitorEventLoopDelay> | null = null;
  private starting: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly delayMs = 1000) {}

  start(): void {
    this.starting = setTimeout(() => {
      this.starting = null;
      this.histogram = monitorEventLoopDelay({ resolution: 20 });
      this.histogram.enable();
    }, this.delayMs);
    (this.starting as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.starting) clearTimeout(this.starting);
    this.starting = null;
    this.histogram?.disable();
    this.histogram = null;
  }

  /** p99 and max delay in ms since the last call, then starts a new window. */
  take(): { p99: number; max: number } | null {
    const h = this.histogram;
    if (!h || h.count === 0) return null;
    const out = { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    h.reset();
    return out;
  }
}

/** Process CPU use as a share of the available cores, between successive calls. */
export class CpuSampler {
  private last = { usage: process.cpuUsage(), at: performance.now() };
  private readonly cores = availableParallelism();

  take(): number {
    const usage = process.cpuUsage();
    const at = performance.now();
    const cpuMicros = usage.user - this.last.usage.user + (usage.system - this.last.usage.system);
    const wallMicros = (at - this.last.at) * 1000;
    this.last = { usage, at };
    return wallMicros > 0 ? (cpuMicros / wallMicros / this.cores) * 100 : 0;
  }
}

export interface SystemDeps {
  options: HealthOptions;
  hub: HubView;
  now(): number;
  loop: EventLoopMonitor;
  cpu: CpuSampler;
  /** The directory whose free space is checked, or null (in-memory database). */
  diskPath: string | null;
}

/** The health plugin's own checks: plugin states, event loop, memory, CPU, disk, uptime. */
export function systemChecks(deps: SystemDeps): HealthCheck[] {
  const { options, hub } = deps;
  const checks: HealthCheck[] = [
    {
      name: 'plugins:state',
      componentType: 'component',
      affectsReadiness: true,
      check(): HealthResult {
        const statuses = hub.plugins();
        const required = options.requiredPlugins.length
          ? options.requiredPlugins
          : statuses.filter((p) => p.enabled).map((p) => p.name);
        const down = required.flatMap((name) => {
          const status = statuses.find((p) => p.name === name);
          if (!status) return [`${name} is not installed`];
          if (status.state === 'failed') return [status.error ?? `plugin "${name}" failed`];
          // Enabled but stopped without an error: it is starting or restarting within an apply.
          if (status.state === 'stopped' && !status.enabled) return [`${name} is not enabled`];
          return [];
        });
        const running = statuses.filter((p) => p.state === 'running').length;
        return down.length
          ? { status: 'fail', observedValue: running, observedUnit: 'plugins', output: down.join('; ') }
          : { status: 'pass', observedValue: running, observedUnit: 'plugins' };
      },
    },
    {
      name: 'eventLoop:delay',
      componentType: 'system',
      affectsReadiness: options.eventLoop.affectsReadiness,
      check(): HealthResult {
        const delay = deps.loop.take();
        if (!delay) return { status: 'pass', observedValue: 0, observedUnit: 'ms' };
        const p99 = round(delay.p99);
        const status = grade(p99, options.eventLoop.warnMs, options.eventLoop.failMs);
        return {
          status,
          observedValue: p99,
          observedUnit: 'ms',
          ...(status === 'pass' ? {} : { output: `p99 event-loop delay ${p99} ms (max ${round(delay.max)} ms)` }),
        };
      },
    },
    {
      name: 'memory:rss',
      componentType: 'system',
      affectsReadiness: options.memory.affectsReadiness,
      check(): HealthResult {
        const rss = process.memoryUsage.rss();
        const status = grade(rss, options.memory.warnRssBytes, options.memory.failRssBytes);
        const limit = status === 'fail' ? options.memory.failRssBytes : options.memory.warnRssBytes;
        return {
          status,
          observedValue: rss,
          observedUnit: 'bytes',
          ...(status === 'pass' ? {} : { output: `RSS ${mib(rss)} MiB is above ${mib(limit)} MiB` }),
        };
      },
    },
    {
      name: 'cpu:utilization',
      componentType: 'system',
      affectsReadiness: options.cpu.affectsReadiness,
      check(): HealthResult {
        const percent = round(deps.cpu.take());
        const status = grade(percent, options.cpu.warnPercent, options.cpu.failPercent);
        const load = loadavg().map(round).join(', ');
        return {
          status,
          observedValue: percent,
          observedUnit: 'percent',
          ...(status === 'pass'
            ? {}
            : { output: `process CPU ${percent}% of ${availableParallelism()} cores; load average ${load}` }),
        };
      },
    },
    {
      name: 'uptime',
      componentType: 'system',
      affectsReadiness: false,
      check(): HealthResult {
        const started = hub.startedAt();
        return {
          status: 'pass',
          observedValue: started === null ? 0 : round((deps.now() - started) / 1000),
          observedUnit: 's',
        };
      },
    },
  ];
  if (deps.diskPath) checks.push(diskCheck(deps.diskPath, options.disk));
  return checks;
}

function diskCheck(path: string, disk: HealthOptions['disk']): HealthCheck {
  return {
    name: 'disk:free',
    componentType: 'system',
    affectsReadiness: disk.affectsReadiness,
    async check(): Promise<HealthResult> {
      const stats = await statfs(path);
      const free = Number(stats.bavail) * Number(stats.bsize);
      const status: HealthStatus = free < disk.failFreeBytes ? 'fail' : free < disk.warnFreeBytes ? 'warn' : 'pass';
      return {
        status,
        observedValue: free,
        observedUnit: 'bytes',
        ...(status === 'pass' ? {} : { output: `${mib(free)} MiB free in ${path}` }),
      };
    },
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
