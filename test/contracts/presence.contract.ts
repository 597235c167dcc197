import { describe, expect, test } from 'bun:test';
import type { Presence, PresenceOptions } from '../../src/cluster/presence.ts';
import { ManualClock } from '../../src/kernel/clock.ts';

/**
 * The contract every Presence passes. `backend()` makes a fresh shared store
 * (a Redis prefix, a database schema, an in-memory object) and returns how to
 * start a node on it; the contract turns timers off and drives heartbeats
 * itself with one ManualClock, so "a node died" is "a node stopped beating".
 */
export function presenceContract(name: string, backend: () => Promise<(options: PresenceOptions) => Presence>) {
  const TTL = 3000;

  async function cluster(...ids: string[]) {
    const start = await backend();
    const clock = new ManualClock();
    const nodes = ids.map((nodeId) => start({ nodeId, clock, nodeTtlMs: TTL, heartbeatMs: 0 }));
    await Promise.all(nodes.map((n) => n.heartbeat()));
    return { nodes, clock, close: () => Promise.all(nodes.map((n) => n.close())) };
  }

  describe(`Presence contract: ${name}`, () => {
    test('every node sees the clients of every node, with their data and node', async () => {
      const {
        nodes: [a, b],
        clock,
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await a.join('room', 'alice', { name: 'Alice' });
        clock.advance(10);
        await b.join('room', 'bob');
        await b.join('other', 'carol');
        for (const node of [a, b]) {
          expect(await node.list('room')).toEqual([
            { clientId: 'alice', data: { name: 'Alice' }, nodeId: 'node-a', joinedAt: clock.now() - 10 },
            { clientId: 'bob', data: null, nodeId: 'node-b', joinedAt: clock.now() },
          ]);
          expect(await node.count('room')).toBe(2);
          expect(await node.count('other')).toBe(1);
          expect(await node.count('empty')).toBe(0);
        }
      } finally {
        await close();
      }
    });

    test('joining again updates the data and keeps the join time; leave removes', async () => {
      const {
        nodes: [a, b],
        clock,
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await a.join('room', 'alice', { v: 1 });
        const joinedAt = clock.now();
        clock.advance(50);
        await a.join('room', 'alice', { v: 2 });
        expect(await b.list('room')).toEqual([{ clientId: 'alice', data: { v: 2 }, nodeId: 'node-a', joinedAt }]);
        await a.leave('room', 'alice');
        expect(await b.count('room')).toBe(0);
        await a.leave('room', 'nobody');
      } finally {
        await close();
      }
    });

    test('a client connected to two nodes counts once and stays present until it leaves both', async () => {
      const {
        nodes: [a, b],
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await a.join('room', 'alice');
        await b.join('room', 'alice');
        expect(await a.count('room')).toBe(1);
        await a.leave('room', 'alice');
        expect((await a.list('room')).map((e) => e.nodeId)).toEqual(['node-b']);
        await b.leave('room', 'alice');
        expect(await a.count('room')).toBe(0);
      } finally {
        await close();
      }
    });

    test('a node that stops beating stops counting when its ttl passes, and a sweep deletes its entries', async () => {
      const {
        nodes: [a, b],
        clock,
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await a.join('room', 'alice');
        await b.join('room', 'bob');
        await b.join('lobby', 'bob');
        clock.advance(TTL - 1);
        await a.heartbeat();
        expect(await a.count('room')).toBe(2);
        clock.advance(1);
        expect((await a.list('room')).map((e) => e.clientId)).toEqual(['alice']);
        expect(await a.count('lobby')).toBe(0);
        expect(await a.sweep()).toBe(2);
        expect(await a.sweep()).toBe(0);
        expect(await a.count('room')).toBe(1);
      } finally {
        await close();
      }
    });

    test('a node swept while alive writes its entries back at its next heartbeat', async () => {
      const {
        nodes: [a, b],
        clock,
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await b.join('room', 'bob', { x: 1 });
        clock.advance(TTL);
        await a.heartbeat();
        expect(await a.sweep()).toBe(1);
        expect(await a.count('room')).toBe(0);
        await b.heartbeat();
        expect(await a.list('room')).toEqual([
          { clientId: 'bob', data: { x: 1 }, nodeId: 'node-b', joinedAt: clock.now() - TTL },
        ]);
      } finally {
        await close();
      }
    });

    test("closing a node deletes its entries at once and leaves the others' alone", async () => {
      const {
        nodes: [a, b],
        close,
      } = await cluster('node-a', 'node-b');
      try {
        await a.join('room', 'alice');
        await b.join('room', 'bob');
        await b.close();
        expect((await a.list('room')).map((e) => e.clientId)).toEqual(['alice']);
      } finally {
        await close();
      }
    });
  });
}
