import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { OrderedFeed } from '../../src/cluster/ordered-feed.ts';
import { ManualClock } from '../../src/kernel/clock.ts';

interface Msg {
  id: number;
}

/**
 * A dense id stream cut into commit batches; each batch is committed at its step
 * and reaches this node 0 (lost), 1 or 2 (duplicated) times, each copy after a
 * random delay; time moves between steps; some store reads fail. Whatever the
 * broker does, the node delivers exactly startAfter+1 .. N, in order, once.
 */
const scenario = fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 25 }).chain((sizes) =>
  fc.record({
    sizes: fc.constant(sizes),
    copies: fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 2 }), {
      minLength: sizes.length,
      maxLength: sizes.length,
    }),
    gaps: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 40, maxLength: 40 }),
    failures: fc.array(fc.boolean(), { maxLength: 10 }),
    startAfter: fc.nat({ max: sizes.reduce((a, b) => a + b, 0) }),
    holdMs: fc.integer({ min: 1, max: 60 }),
  }),
);

test('any reordering, loss or duplication of a dense id stream yields the exact stream', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ sizes, copies, gaps, failures, startAfter, holdMs }) => {
      const clock = new ManualClock();
      const batches: { lastId: number; messages: Msg[] }[] = [];
      let next = 1;
      for (const size of sizes) {
        const messages = Array.from({ length: size }, () => ({ id: next++ }));
        batches.push({ lastId: next - 1, messages });
      }
      const total = next - 1;
      let committed = startAfter;
      const failing = [...failures];
      const got: number[] = [];
      const feed = new OrderedFeed<Msg>({
        startAfter,
        holdMs,
        checkEveryMs: 200,
        maxRead: 4,
        clock,
        async readRange(after, upto) {
          if (failing.shift()) throw new Error('store unavailable');
          expect(upto).toBeLessThanOrEqual(committed);
          return Array.from({ length: Math.max(0, upto - after) }, (_, i) => ({ id: after + 1 + i }));
        },
        async lastId() {
          if (failing.shift()) throw new Error('store unavailable');
          return committed;
        },
        deliver(run) {
          for (const m of run) {
            expect(m.id).toBe((got.at(-1) ?? startAfter) + 1);
            got.push(m.id);
          }
        },
      });
      // Step i commits batch i (if not already below startAfter) and delivers the copies due then.
      const due = new Map<number, number[]>();
      copies.forEach((delays, b) => {
        for (const d of delays) due.set(b + d, [...(due.get(b + d) ?? []), b]);
      });
      const steps = Math.max(sizes.length, ...due.keys()) + 1;
      for (let step = 0; step < steps; step++) {
        if (step < batches.length) committed = Math.max(committed, batches[step].lastId);
        for (const b of due.get(step) ?? []) feed.push(structuredClone(batches[b]));
        await tick(clock, gaps[step % gaps.length]);
      }
      // Each failed store call costs at most one more round.
      for (let i = 0; i < 6 + 2 * failures.length && got.length < total - startAfter; i++)
        await tick(clock, 200 + holdMs);
      feed.close();
      expect(got).toEqual(Array.from({ length: total - startAfter }, (_, i) => startAfter + 1 + i));
      const stats = feed.stats();
      expect(stats.delivered).toBe(total);
      expect(stats.held).toBe(0);
    }),
    { numRuns: 300 },
  );
});

/** Moves the clock, then lets the reads its timers started settle (all microtasks run before setImmediate). */
async function tick(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await new Promise((resolve) => setImmediate(resolve));
}
