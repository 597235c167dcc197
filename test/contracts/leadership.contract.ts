import { describe, expect, test } from 'bun:test';
import type { Leadership } from '../../src/cluster/leadership.ts';

/** Candidates for one name, as separate nodes would run them, and how to drive them. */
export interface LeadershipCluster {
  candidates: Leadership[];
  /**
   * Lets every live candidate run one round (advancing an injected clock by one
   * polling interval). Where the store's own clock decides (a lease's expiry),
   * this also lets a little real time pass.
   */
  round(): Promise<void>;
  /** Kills candidate `i` the way a crash does: no release; its store session or renewals stop. */
  kill(i: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The contract every Leadership passes. `make(n)` starts n candidates for one fresh
 * name, synchronously, so that listeners added right after see the first change.
 */
export function leadershipContract(name: string, make: (n: number) => LeadershipCluster) {
  /** Runs rounds until `done` holds, failing after `seconds` of real time. */
  async function until(cluster: LeadershipCluster, done: () => boolean, seconds = 8): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`not settled within ${seconds} s`);
      await cluster.round();
    }
  }
  const leaders = (c: LeadershipCluster) => c.candidates.filter((x) => x.isLeader());

  describe(`Leadership contract: ${name}`, () => {
    test('exactly one of three candidates leads, and is told so once', async () => {
      const cluster = make(3);
      const changes: boolean[][] = cluster.candidates.map(() => []);
      cluster.candidates.forEach((c, i) => {
        c.onChange((leader) => changes[i].push(leader));
      });
      try {
        await until(cluster, () => leaders(cluster).length === 1);
        for (let i = 0; i < 3; i++) await cluster.round();
        expect(leaders(cluster).length).toBe(1);
        const leader = cluster.candidates.findIndex((c) => c.isLeader());
        expect(changes[leader]).toEqual([true]);
        expect(changes.filter((_, i) => i !== leader).flat()).toEqual([]);
      } finally {
        await cluster.close();
      }
    });

    test('a leader that closes hands over to another candidate', async () => {
      const cluster = make(2);
      try {
        await until(cluster, () => leaders(cluster).length === 1);
        const old = leaders(cluster)[0];
        const told: boolean[] = [];
        old.onChange((leader) => told.push(leader));
        await old.close();
        expect(old.isLeader()).toBe(false);
        expect(told).toEqual([false]);
        await until(cluster, () => leaders(cluster).length === 1, 3);
        expect(leaders(cluster)[0]).not.toBe(old);
      } finally {
        await cluster.close();
      }
    });

    test('leadership moves to a live candidate within seconds when the leader dies', async () => {
      const cluster = make(3);
      try {
        await until(cluster, () => leaders(cluster).length === 1);
        const dead = cluster.candidates.findIndex((c) => c.isLeader());
        const started = Date.now();
        await cluster.kill(dead);
        const live = cluster.candidates.filter((_, i) => i !== dead);
        await until(cluster, () => live.filter((c) => c.isLeader()).length === 1);
        expect(Date.now() - started).toBeLessThan(5000);
        for (let i = 0; i < 2; i++) await cluster.round();
        expect(live.filter((c) => c.isLeader()).length).toBe(1);
      } finally {
        await cluster.close();
      }
    });

    test('candidates of different names do not compete', async () => {
      const a = make(1);
      const b = make(1);
      try {
        await until(a, () => a.candidates[0].isLeader());
        await until(b, () => b.candidates[0].isLeader());
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}
