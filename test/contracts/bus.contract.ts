import { describe, expect, test } from 'bun:test';
import type { BusErrorReport, EventBus } from '../../src/kernel/bus.ts';

const at = '2026-01-01T00:00:00.000Z';

/**
 * The contract every EventBus implementation passes. `make` builds a fresh bus
 * that reports subscriber failures to `onError`.
 */
export function busContract(
  name: string,
  make: (onError: (r: BusErrorReport) => void) => EventBus | Promise<EventBus>,
) {
  describe(`EventBus contract: ${name}`, () => {
    test('delivers an event to subscribers of its name only, in publish order', async () => {
      const bus = await make(() => {});
      const got: string[] = [];
      bus.on('plugin.enabled', (p) => {
        got.push(`enabled:${p.name}`);
      });
      bus.on('plugin.disabled', (p) => {
        got.push(`disabled:${p.name}`);
      });
      bus.publish('plugin.enabled', { name: 'a', at });
      bus.publish('plugin.disabled', { name: 'b', at });
      bus.publish('plugin.enabled', { name: 'c', at });
      await Promise.resolve();
      expect(got).toEqual(['enabled:a', 'disabled:b', 'enabled:c']);
      await bus.close();
    });

    test('onAny sees every event with its name', async () => {
      const bus = await make(() => {});
      const names: string[] = [];
      bus.onAny((e) => {
        names.push(e.name);
      });
      bus.publish('plugin.enabled', { name: 'a', at });
      bus.publish('error.occurred', { source: 's', code: 'c', message: 'm', at });
      await Promise.resolve();
      expect(names).toEqual(['plugin.enabled', 'error.occurred']);
      await bus.close();
    });

    test('a subscriber that throws or rejects is reported and does not affect the others or the publisher', async () => {
      const errors: BusErrorReport[] = [];
      const bus = await make((r) => errors.push(r));
      const got: string[] = [];
      bus.on('plugin.enabled', () => {
        throw new Error('sync boom');
      });
      bus.on('plugin.enabled', async () => {
        throw new Error('async boom');
      });
      bus.on('plugin.enabled', (p) => {
        got.push(p.name);
      });
      expect(() => bus.publish('plugin.enabled', { name: 'ok', at })).not.toThrow();
      await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['ok']);
      expect(errors.map((e) => (e.error as Error).message).sort()).toEqual(['async boom', 'sync boom']);
      expect(errors.every((e) => e.event === 'plugin.enabled')).toBe(true);
      await bus.close();
    });

    test('unsubscribing stops delivery, and close drops every subscriber', async () => {
      const bus = await make(() => {});
      let count = 0;
      const off = bus.on('plugin.enabled', () => {
        count++;
      });
      bus.onAny(() => {
        count += 100;
      });
      bus.publish('plugin.enabled', { name: 'a', at });
      off();
      bus.publish('plugin.enabled', { name: 'b', at });
      await bus.close();
      bus.publish('plugin.enabled', { name: 'c', at });
      await Promise.resolve();
      expect(count).toBe(201);
    });
  });
}
