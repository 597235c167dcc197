import { Type } from '@sinclair/typebox';
import { builtinPlugins } from '../../../plugins/index.ts';
import { definePlugin, type PluginDefinition } from '../../../src/kernel/plugin.ts';

export const ADMIN_TOKEN = 'metrics-test-admin-token';

/**
 * A throwaway plugin with a counter and a histogram, labelled by a bounded `kind`.
 * Its options change what it observes, so a reconfigure is a real restart.
 */
export const probePlugin = definePlugin({
  name: 'probe',
  options: Type.Object(
    {
      kinds: Type.Integer({ minimum: 1, default: 2, description: 'How many kinds it counts' }),
      latencies: Type.Array(Type.Number(), { default: [], description: 'Seconds observed at start, per kind' }),
      label: Type.String({ default: 'kind', description: 'The label name of its counter' }),
    },
    { default: {} },
  ),
  setup(ctx) {
    const events = ctx.metrics.counter({
      name: 'relaykit_test_probe_events_total',
      help: 'Events the probe counted',
      labelNames: [ctx.options.label],
    });
    const latency = ctx.metrics.histogram({
      name: 'relaykit_test_probe_latency_seconds',
      help: 'Latencies the probe observed',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1],
    });
    return {
      start() {
        for (let i = 0; i < ctx.options.kinds; i++) events.inc({ [ctx.options.label]: `k${i}` });
        for (const seconds of ctx.options.latencies) latency.observe({ kind: 'k0' }, seconds);
      },
    };
  },
});

/** A throwaway plugin with a gauge that depends on the probe (it restarts with it). */
export const followerPlugin = definePlugin({
  name: 'follower',
  dependencies: ['probe'],
  options: Type.Object({ items: Type.Integer({ default: 1, description: 'The gauge value' }) }, { default: {} }),
  setup(ctx) {
    const gauge = ctx.metrics.gauge({ name: 'relaykit_test_follower_items', help: 'Items the follower holds' });
    return {
      start() {
        gauge.set(ctx.options.items);
      },
    };
  },
});

export const testPlugins: readonly PluginDefinition[] = [
  ...builtinPlugins,
  probePlugin as unknown as PluginDefinition,
  followerPlugin as unknown as PluginDefinition,
];
