import { describe, expect, test } from 'bun:test';
import { Registry } from 'prom-client';
import { MemoryEventBus } from '../../src/kernel/bus-memory.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { PluginScope } from '../../src/kernel/scope.ts';

describe('plugin scope', () => {
  test('releasing a scope drops its subscriptions and metrics, and a restart can register the same names', async () => {
    const bus = new MemoryEventBus();
    const registry = new Registry();
    let seen = 0;
    const first = new PluginScope(bus, registry);
    first.bus.on('plugin.enabled', () => {
      seen++;
    });
    first.metrics.counter({ name: 'relaykit_test_total', help: 'test' }).inc();
    bus.publish('plugin.enabled', { name: 'x', at: '' });
    await first.release();
    bus.publish('plugin.enabled', { name: 'x', at: '' });
    expect(seen).toBe(1);
    expect(first.abort.signal.aborted).toBe(true);
    expect(await registry.getSingleMetricAsString('relaykit_test_total').catch(() => 'gone')).toBe('gone');
    const second = new PluginScope(bus, registry);
    expect(() => second.metrics.counter({ name: 'relaykit_test_total', help: 'test' })).not.toThrow();
  });
});

describe('manual clock', () => {
  test('fires timers in order as time advances, intervals repeatedly, and cancelled ones never', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('t200'), 200);
    clock.setTimeout(() => fired.push('t100'), 100);
    const cancel = clock.setTimeout(() => fired.push('never'), 150);
    clock.setInterval(() => fired.push(`i@${clock.now()}`), 120);
    cancel();
    clock.advance(250);
    expect(fired).toEqual(['t100', 'i@120', 't200', 'i@240']);
    expect(clock.now()).toBe(250);
  });
});
