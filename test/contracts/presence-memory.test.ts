import { expect, test } from 'bun:test';
import { MemoryPresence, MemoryPresenceStore } from '../../src/cluster/presence-memory.ts';
import { ManualClock } from '../../src/kernel/clock.ts';
import { presenceContract } from './presence.contract.ts';

presenceContract('in-process (MemoryPresence)', async () => {
  const store = new MemoryPresenceStore();
  return (options) => new MemoryPresence(options, store);
});

test('the heartbeat timer keeps a live node counted and sweeps a dead one', async () => {
  const store = new MemoryPresenceStore();
  const clock = new ManualClock();
  // b's clock never moves, so its timer never fires again: b is dead after its first heartbeat.
  const frozen = new ManualClock(clock.now());
  const a = new MemoryPresence({ nodeId: 'a', clock, nodeTtlMs: 3000, heartbeatMs: 1000 }, store);
  const b = new MemoryPresence({ nodeId: 'b', clock: frozen, nodeTtlMs: 3000, heartbeatMs: 1000 }, store);
  await a.join('room', 'alice');
  await b.join('room', 'bob');
  expect(await a.count('room')).toBe(2);
  await clock.tick(2999);
  expect(await a.count('room')).toBe(2);
  await clock.tick(1001);
  expect(await a.count('room')).toBe(1);
  expect([...store.nodes.keys()]).toEqual(['a']);
  expect([...(store.channels.get('room')?.keys() ?? [])]).toEqual(['a\nalice']);
  await a.close();
});
