import { dirname } from 'node:path';
import type { Gauge } from 'prom-client';
import type { HealthCheck, HealthStatus } from '../../src/kernel/health.ts';
import type { PluginContext } from '../../src/kernel/plugin.ts';
import { externalChecks } from './external.ts';
import type { HealthOptions } from './options.ts';
import { document, httpStatusOf, notReadyReasons, overallStatus, type Probe } from './report.ts';
import { type CheckResult, HealthRunner } from './runner.ts';
import { CpuSampler, EventLoopMonitor, systemChecks } from './system.ts';

const STATUS_VALUE: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };

/**
 * The health plugin's state: its own checks (system and external), the runner that
 * caches every check's result, and the four probes computed from the cache and the
 * hub's state (so a probe never waits on a check).
 */
export class HealthService {
  private readonly runner: HealthRunner;
  private readonly loop = new EventLoopMonitor();
  private readonly own: HealthCheck[];
  private readonly checkStatus: Gauge<'check'>;
  private overall: HealthStatus | null = null;

  constructor(private readonly ctx: PluginContext<HealthOptions>) {
    const { options } = ctx;
    const known = new Set(ctx.hub.plugins().map((p) => p.name));
    options.requiredPlugins.forEach((name, i) => {
      if (!known.has(name)) throw new Error(`plugins.health.requiredPlugins[${i}]: no plugin is named "${name}"`);
    });
    this.own = [
      ...systemChecks({
        options,
        hub: ctx.hub,
        now: () => ctx.clock.now(),
        loop: this.loop,
        cpu: new CpuSampler(),
        diskPath: options.disk.path || databaseDirectory(ctx),
      }),
      ...externalChecks(options.external),
    ];
    this.checkStatus = ctx.metrics.gauge({
      name: 'relaykit_health_check_status',
      help: 'Latest result of each health check: 0 pass, 1 warn, 2 fail',
      labelNames: ['check'] as const,
    });
    const ready = () => this.readiness().httpStatus === 200;
    ctx.metrics.gauge({
      name: 'relaykit_health_ready',
      help: 'Whether /health/ready answers 200 (1) or 503 (0)',
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
    this.runner = new HealthRunner({
      clock: ctx.clock,
      log: ctx.log,
      timeoutMs: options.timeoutMs,
      intervalMs: options.intervalMs,
      checks: () => [...ctx.hub.healthChecks(), ...this.own],
      onResults: (results) => this.record(results),
    });
  }

  start(): void {
    this.loop.start();
    // A plugin that starts, stops or restarts brings or takes away checks: run them all soon.
    for (const event of ['plugin.enabled', 'plugin.disabled', 'plugin.reconfigured'] as const) {
      this.ctx.bus.on(event, () => void this.runner.refresh());
    }
    this.runner.start();
  }

  stop(): void {
    this.runner.stop();
    this.loop.stop();
  }

  /** Runs every check now; resolves when they have all answered or timed out. */
  refresh(): Promise<void> {
    return this.runner.refresh();
  }

  /** The process answers: 200 until the hub has stopped. */
  liveness(): Probe {
    const stopped = this.ctx.hub.state() === 'stopped';
    return {
      httpStatus: stopped ? 503 : 200,
      body: document(stopped ? 'fail' : 'pass', stopped ? { output: 'the hub has stopped' } : {}),
    };
  }

  /** 200 once the hub has started (migrations ran, plugins started), also while it drains. */
  startup(): Probe {
    const started = this.ctx.hub.startedAt() !== null && this.ctx.hub.state() !== 'stopped';
    return {
      httpStatus: started ? 200 : 503,
      body: document(started ? 'pass' : 'fail', started ? {} : { output: `the hub is ${this.ctx.hub.state()}` }),
    };
  }

  /** 200 when the hub is ready, not draining, and no check that affects readiness fails. */
  readiness(): Probe {
    const results = this.runner.results();
    const reasons = notReadyReasons(this.ctx.hub.state(), results);
    const status: HealthStatus = reasons.length ? 'fail' : 'pass';
    return {
      httpStatus: httpStatusOf(status),
      body: document(status, {
        ...(reasons.length ? { output: reasons.join('; ') } : {}),
        results: (results ?? []).filter((r) => r.affectsReadiness),
      }),
    };
  }

  /** Every check's cached result as application/health+json. */
  status(): Probe {
    const results = this.runner.results();
    const reasons = notReadyReasons(this.ctx.hub.state(), results);
    const status = overallStatus(reasons, results);
    return {
      httpStatus: httpStatusOf(status),
      body: document(status, {
        ...(reasons.length ? { output: reasons.join('; ') } : {}),
        notes: [`hub state: ${this.ctx.hub.state()}`],
        results: results ?? [],
      }),
    };
  }

  private record(results: readonly CheckResult[]): void {
    this.checkStatus.reset();
    for (const r of results) this.checkStatus.set({ check: r.name }, STATUS_VALUE[r.status]);
    // The checks' verdict alone: the hub's own state changes are not health changes.
    const status = overallStatus(notReadyReasons('ready', results), results);
    if (this.overall !== null && status !== this.overall) {
      this.ctx.bus.publish('health.changed', {
        status,
        previous: this.overall,
        failing: results.filter((r) => r.status === 'fail').map((r) => r.name),
        at: new Date(this.ctx.clock.now()).toISOString(),
      });
    }
    this.overall = status;
  }
}

/** The directory of the hub's SQLite file, or null (in memory, or a database server). */
function databaseDirectory(ctx: PluginContext<HealthOptions>): string | null {
  const { file } = ctx.storage;
  return file ? dirname(file) : null;
}
