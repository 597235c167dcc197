/**
 * The process metrics are prom-client's defaults, family for family, though the hub
 * makes them one family at a time (plugins/metrics/process-collectors.ts): its heap
 * spaces are read when collected, not once more when made.
 */
import { expect, test } from 'bun:test';
import { collectDefaultMetrics, Registry as PromRegistry } from 'prom-client';
import { collectProcessMetrics } from '../../../plugins/metrics/process-collectors.ts';
import { Registry } from '../../../src/kernel/prom.ts';

interface FamilyJson {
  name: string;
  help: string;
  type: string;
  values: Array<{ labels: Record<string, string | number> }>;
}

async function families(registry: { getMetricsAsJSON(): Promise<unknown> }) {
  const json = (await registry.getMetricsAsJSON()) as FamilyJson[];
  return json.map((f) => ({
    name: f.name,
    help: f.help,
    type: f.type,
    // Series by labels; values (CPU, memory) differ between two reads.
    labels: f.name.startsWith('nodejs_heap_space') ? f.values.map((v) => JSON.stringify(v.labels)).sort() : undefined,
  }));
}

test("the same families as prom-client's collectDefaultMetrics, in the same order, heap spaces included", async () => {
  const theirs = new PromRegistry();
  collectDefaultMetrics({ register: theirs });
  const ours = new Registry();
  collectProcessMetrics(ours);
  const expected = await families(theirs);
  expect(await families(ours)).toEqual(expected);
  const heap = expected.find((f) => f.name === 'nodejs_heap_space_size_used_bytes');
  expect(heap?.labels?.length).toBeGreaterThan(0);
});

test('the CPU counters count the CPU time the process has spent since it started, user plus system in the total', async () => {
  const before = process.cpuUsage();
  const ours = new Registry();
  collectProcessMetrics(ours);
  const started = performance.now();
  let spin = 0;
  while (performance.now() - started < 30) spin++;
  expect(spin).toBeGreaterThan(0);
  const json = (await ours.getMetricsAsJSON()) as unknown as FamilyJson[];
  const value = (name: string) => json.find((f) => f.name === name)?.values[0] as unknown as { value: number };
  const user = value('process_cpu_user_seconds_total').value;
  const system = value('process_cpu_system_seconds_total').value;
  expect(user + system).toBeGreaterThan(0.01);
  // Not only what was spent after they were made: the process's CPU time before counts too.
  expect(user + system).toBeGreaterThanOrEqual((before.user + before.system) / 1e6);
  expect(value('process_cpu_seconds_total').value).toBeCloseTo(user + system, 6);
});
