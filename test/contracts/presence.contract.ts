import { describe, expect, test } from 'bun:test';
import type { Presence, PresenceChange, PresenceOptions } from '../../src/cluster/presence.ts';
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

  /** Records every occupancy change each node reports, as `node:channel:+` / `node:channel:-`. */
  function record(nodes: Presence[]): string[] {
    const seen: string[] = [];
    for (const node of nodes) {
      node.onChange((c: PresenceChange) => seen.push(`${node.nodeId}:${c.channel}:${c.occupied ? '+' : '-'}`));
    }
    return seen;
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

    test('the first join occupies a channel and the last leave vacates it, once across the nodes', async () => {
      const { nodes, close } = await cluster('node-a', 'node-b');
      const [a, b] = nodes;
      const seen = record(nodes);
      try {
        expect(await a.join('room', 'alice')).toBe(true);
        expect(await b.join('room', 'bob')).toBe(false);
        expect(await b.join('room', 'alice')).toBe(false);
        expect(await a.join('room', 'alice', { again: true })).toBe(false);
        expect(await a.leave('room', 'alice')).toBe(false);
        expect(await a.leave('room', 'nobody')).toBe(false);
        expect(await b.leave('room', 'bob')).toBe(false);
        expect(await b.leave('room', 'alice')).toBe(true);
        expect(await b.leave('room', 'alice')).toBe(false);
        expect(await b.join('room', 'carol')).toBe(true);
        // Joins and leaves tell their caller; listeners hear of the other changes only.
        expect(seen).toEqual([]);
      } finally {
        await close();
      }
    });

    test('joinMany writes several entries at once and reports the channels it occupied, once each', async () => {
      const { nodes, close } = await cluster('node-a', 'node-b');
      const [a, b] = nodes;
      const seen = record(nodes);
      try {
        expect(await b.join('shared', 'x')).toBe(true);
        const occupied = await a.joinMany([
          { channel: 'room', clientId: 'c1' },
          { channel: 'room', clientId: 'c2' },
          { channel: 'shared', clientId: 'c3' },
          { channel: 'solo', clientId: 'c4' },
          { channel: 'room', clientId: 'c1' },
        ]);
        expect(occupied).toEqual(['room', 'solo']);
        expect((await b.list('room')).map((e) => e.clientId)).toEqual(['c1', 'c2']);
        expect(await b.count('shared')).toBe(2);
        // Written again: nothing new is occupied, and the counters did not move twice.
        expect(
          await a.joinMany([
            { channel: 'room', clientId: 'c2' },
            { channel: 'solo', clientId: 'c4' },
          ]),
        ).toEqual([]);
        expect(await a.joinMany([])).toEqual([]);
        expect(await a.leave('room', 'c1')).toBe(false);
        expect(await a.leave('room', 'c2')).toBe(true);
        expect(await a.leave('solo', 'c4')).toBe(true);
        expect(await a.leave('shared', 'c3')).toBe(false);
        expect(await b.leave('shared', 'x')).toBe(true);
        expect(seen).toEqual([]);
      } finally {
        await close();
      }
    });

    test('concurrent joinMany on several nodes occupies a channel once', async () => {
      const { nodes, close } = await cluster('node-a', 'node-b', 'node-c');
      try {
        const results = await Promise.all(
          nodes.map((node, n) =>
            node.joinMany(
              Array.from({ length: 6 }, (_, i) => ({ channel: i % 2 ? 'odd' : 'even', clientId: `n${n}-c${i}` })),
            ),
          ),
        );
        expect(results.flat().sort()).toEqual(['even', 'odd']);
        expect(await nodes[0].count('even')).toBe(9);
        const leaves = await Promise.all(
          nodes.flatMap((node, n) =>
            Array.from({ length: 6 }, (_, i) => node.leave(i % 2 ? 'odd' : 'even', `n${n}-c${i}`)),
          ),
        );
        expect(leaves.filter(Boolean)).toHaveLength(2);
      } finally {
        await close();
      }
    });

    test('concurrent joins and leaves on several nodes report exactly one occupied and one vacated', async () => {
      const { nodes, close } = await cluster('node-a', 'node-b', 'node-c');
      const seen = record(nodes);
      try {
        const clients = Array.from({ length: 12 }, (_, i) => `c${i}`);
        const joins = await Promise.all(clients.map((c, i) => nodes[i % 3].join('busy', c)));
        expect(joins.filter(Boolean)).toHaveLength(1);
        const leaves = await Promise.all(clients.map((c, i) => nodes[i % 3].leave('busy', c)));
        expect(leaves.filter(Boolean)).toHaveLength(1);
        expect(seen).toEqual([]);
      } finally {
        await close();
      }
    });

    test("a dead node's channels are vacated once, by the node whose sweep deleted their last entries", async () => {
      const { nodes, clock, close } = await cluster('node-a', 'node-b', 'node-c');
      const [a, b, c] = nodes;
      try {
        await b.join('only-b', 'bob');
        await b.join('shared', 'bob');
        await a.join('shared', 'alice');
        const seen = record(nodes);
        clock.advance(TTL);
        await a.heartbeat();
        await c.heartbeat();
        // Both survivors sweep at once: one of them deletes b's entries and reports.
        const [byA, byC] = await Promise.all([a.sweep(), c.sweep()]);
        expect(byA + byC).toBe(2);
        expect(seen.map((s) => s.slice(s.indexOf(':') + 1))).toEqual(['only-b:-']);
        // Swept, the channel is empty: the next join occupies it again.
        expect(await a.join('only-b', 'alice')).toBe(true);
      } finally {
        await close();
      }
    });

    test('a node swept while alive reports the channels its write-back occupies again', async () => {
      const { nodes, clock, close } = await cluster('node-a', 'node-b');
      const [a, b] = nodes;
      const seen = record(nodes);
      try {
        expect(await b.join('room', 'bob')).toBe(true);
        clock.advance(TTL);
        await a.heartbeat();
        await a.sweep();
        await b.heartbeat();
        expect(seen).toEqual(['node-a:room:-', 'node-b:room:+']);
      } finally {
        await close();
      }
    });

    test('closing a node reports the channels only it occupied', async () => {
      const { nodes, close } = await cluster('node-a', 'node-b');
      const [a, b] = nodes;
      try {
        await a.join('mine', 'alice');
        await a.join('ours', 'alice');
        await b.join('ours', 'bob');
        const seen = record(nodes);
        await a.close();
        expect(seen).toEqual(['node-a:mine:-']);
        expect(await b.join('mine', 'bob')).toBe(true);
      } finally {
        await close();
      }
    });

    test('channels lists the occupied channels under a prefix, with distinct clients and entries per live node', async () => {
      const { nodes, clock, close } = await cluster('node-a', 'node-b', 'node-c');
      const [a, b, c] = nodes;
      try {
        await a.join('ws:one', 'alice');
        await b.join('ws:one', 'alice');
        await b.join('ws:one', 'bob');
        await b.join('ws:two', 'bob');
        await a.join('sse:one', 'carol');
        await c.join('ws:[x]*', 'dave');
        await c.join('wsx', 'erin');
        expect(await a.channels('ws:')).toEqual([
          { channel: 'ws:[x]*', clients: 1, nodes: { 'node-c': 1 } },
          { channel: 'ws:one', clients: 2, nodes: { 'node-a': 1, 'node-b': 2 } },
          { channel: 'ws:two', clients: 1, nodes: { 'node-b': 1 } },
        ]);
        expect(await a.channels('ws:[x')).toEqual([{ channel: 'ws:[x]*', clients: 1, nodes: { 'node-c': 1 } }]);
        clock.advance(TTL);
        await a.heartbeat();
        expect(await b.channels('ws:')).toEqual([{ channel: 'ws:one', clients: 1, nodes: { 'node-a': 1 } }]);
      } finally {
        await close();
      }
    });
  });
}
