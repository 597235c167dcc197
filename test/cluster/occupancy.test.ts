/**
 * ChannelOccupancy's join: it resolves when the shared presence has the entry (so a
 * transport confirms a subscription every node already counts), and no later than
 * JOIN_CONFIRM_MS when the write hangs (an unreachable database), the write going on.
 * Joins waiting behind a write are written together, never past a leave.
 */
import { expect, test } from 'bun:test';
import { ChannelOccupancy, JOIN_CONFIRM_MS } from '../../src/cluster/occupancy.ts';
import type { PresenceJoin } from '../../src/cluster/presence.ts';
import { MemoryPresence } from '../../src/cluster/presence-memory.ts';
import { ManualClock } from '../../src/kernel/clock.ts';

/** A presence whose writes wait until `release()` (a database that stopped answering). */
class StalledPresence extends MemoryPresence {
  private gate = Promise.withResolvers<void>();
  stalled = true;

  release(): void {
    this.stalled = false;
    this.gate.resolve();
  }

  /** Every write ChannelOccupancy made, as its (channel, client) pairs. */
  readonly writes: string[][] = [];

  override async joinMany(joins: readonly PresenceJoin[]): Promise<string[]> {
    this.writes.push(joins.map((j) => `+${j.channel} ${j.clientId}`));
    if (this.stalled) await this.gate.promise;
    return super.joinMany(joins);
  }

  override async leave(channel: string, clientId: string): Promise<boolean> {
    this.writes.push([`-${channel} ${clientId}`]);
    return super.leave(channel, clientId);
  }
}

function setup(presence: MemoryPresence, clock: ManualClock) {
  const changes: string[] = [];
  const errors: unknown[] = [];
  const occupancy = new ChannelOccupancy(
    presence,
    'ws:',
    (channel, occupied) => changes.push(`${occupied ? 'occupied' : 'vacated'} ${channel}`),
    (err) => errors.push(err),
    clock,
  );
  return { occupancy, changes, errors };
}

test('a join resolves once the shared presence holds the entry', async () => {
  const clock = new ManualClock();
  const presence = new MemoryPresence({ nodeId: 'a', heartbeatMs: 0, clock });
  const { occupancy, changes } = setup(presence, clock);
  await occupancy.join('room', 'c1');
  expect((await presence.list('ws:room')).map((e) => e.clientId)).toEqual(['c1']);
  expect(changes).toEqual(['occupied room']);
  expect(clock.pending).toBe(0);
  await presence.close();
});

test('a join whose write hangs resolves after JOIN_CONFIRM_MS; the write lands later and still reports', async () => {
  const clock = new ManualClock();
  const presence = new StalledPresence({ nodeId: 'a', heartbeatMs: 0, clock });
  const { occupancy, changes } = setup(presence, clock);
  let answered = false;
  const joined = occupancy.join('room', 'c1').then(() => {
    answered = true;
  });
  await clock.tick(JOIN_CONFIRM_MS - 1);
  expect(answered).toBe(false);
  await clock.tick(1);
  await joined;
  expect(answered).toBe(true);
  expect(await presence.list('ws:room')).toEqual([]);

  presence.release();
  // The next write queues behind the first: once it has landed, so has the first.
  await occupancy.join('other', 'c1');
  expect((await presence.list('ws:room')).map((e) => e.clientId)).toEqual(['c1']);
  expect(changes).toEqual(['occupied room', 'occupied other']);
  await presence.close();
});

test('joins waiting behind a write go in one write; a leave splits them, so call order holds', async () => {
  const clock = new ManualClock();
  const presence = new StalledPresence({ nodeId: 'a', heartbeatMs: 0, clock });
  const { occupancy, changes } = setup(presence, clock);
  const first = occupancy.join('room', 'c0');
  // A subscribe's channels, all in one tick, while the first write hangs.
  await Promise.resolve();
  const burst = ['c1', 'c2', 'c3'].map((c) => occupancy.join('room', c));
  occupancy.leave('room', 'c2');
  const after = occupancy.join('room', 'c2');
  presence.release();
  await Promise.all([first, ...burst, after]);
  expect(presence.writes).toEqual([
    ['+ws:room c0'],
    ['+ws:room c1', '+ws:room c2', '+ws:room c3'],
    ['-ws:room c2'],
    ['+ws:room c2'],
  ]);
  expect((await presence.list('ws:room')).map((e) => e.clientId)).toEqual(['c0', 'c1', 'c2', 'c3']);
  expect(changes).toEqual(['occupied room']);
  await presence.close();
});

test('the channels of one subscribe, joined in one tick, are written together and each occupied once', async () => {
  const clock = new ManualClock();
  const presence = new StalledPresence({ nodeId: 'a', heartbeatMs: 0, clock });
  presence.release();
  const { occupancy, changes } = setup(presence, clock);
  await Promise.all(['a', 'b', 'c'].map((channel) => occupancy.join(channel, 'c1')));
  expect(presence.writes).toEqual([['+ws:a c1', '+ws:b c1', '+ws:c c1']]);
  expect(changes).toEqual(['occupied a', 'occupied b', 'occupied c']);
  await presence.close();
});
