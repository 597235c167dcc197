import { Type } from '@sinclair/typebox';
import type { HealthDocument } from '../../../plugins/health/index.ts';
import { builtinPlugins } from '../../../plugins/index.ts';
import type { ManualClock } from '../../../src/kernel/clock.ts';
import type { HealthResult } from '../../../src/kernel/health.ts';
import { definePlugin, type PluginDefinition } from '../../../src/kernel/plugin.ts';
import { type TestHub, waitFor } from '../../helpers/hub.ts';

export const ADMIN_TOKEN = 'health-test-admin-token';

/** What the throwaway `probe` plugin's checks answer; tests change it between runs. */
export interface CheckControl {
  result: HealthResult;
  /** Never answer (until the runner's timeout). */
  hang: boolean;
  calls: number;
}

export function checkControl(): CheckControl {
  return { result: { status: 'pass' }, hang: false, calls: 0 };
}

/** A throwaway plugin contributing `probe:backlog` (affects readiness) and `probe:lag` (reported only). */
export function probePlugin(control: CheckControl): PluginDefinition {
  return definePlugin({
    name: 'probe',
    options: Type.Object({}, { default: {} }),
    setup() {
      return {
        health: () => [
          {
            name: 'probe:backlog',
            componentType: 'component',
            affectsReadiness: true,
            check(): HealthResult | Promise<HealthResult> {
              control.calls++;
              if (control.hang) return new Promise<HealthResult>(() => {});
              return control.result;
            },
          },
          {
            name: 'probe:lag',
            componentType: 'component',
            affectsReadiness: false,
            check: (): HealthResult => ({ status: 'pass', observedValue: 3, observedUnit: 's' }),
          },
        ],
      };
    },
  }) as unknown as PluginDefinition;
}

/** A plugin whose start waits until `open()`: the hub stays in `starting` while it waits. */
export function gatePlugin(): { plugin: PluginDefinition; port: Promise<number>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reportPort: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => {
    reportPort = resolve;
  });
  const plugin = definePlugin({
    name: 'gate',
    options: Type.Object({}, { default: {} }),
    setup(ctx) {
      reportPort(ctx.server.port);
      return { start: () => opened };
    },
  }) as unknown as PluginDefinition;
  return { plugin, port, open };
}

export const withPlugins = (...extra: PluginDefinition[]): PluginDefinition[] => [...builtinPlugins, ...extra];

/**
 * Moves the clock to the health plugin's next run and waits until that run is cached
 * (some checks, like the disk's, answer after a few I/O turns). A run's results
 * replace the cache at once; each carries the time its check answered.
 */
export async function nextRun(t: TestHub, clock: ManualClock, ms = 5000): Promise<void> {
  await clock.tick(ms);
  const at = new Date(clock.now()).toISOString();
  await waitFor(
    async () => {
      const doc = (await (await t.request('/health/status')).json()) as HealthDocument;
      return Object.values(doc.checks ?? {}).some((entries) => entries.some((e) => e.time === at));
    },
    2000,
    'the health checks to run',
  );
}
