import { describe, expect, test } from 'bun:test';
import type { Broker, BrokerBatch } from '../../src/cluster/broker.ts';
import type { ReadRange } from '../../src/cluster/broker-postgres.ts';
import type { Message } from '../../src/messages/types.ts';

/** What the contract gives an implementation: the store's read, over the messages the test "committed". */
export interface BrokerTestContext {
  readRange: ReadRange;
  /** Collects a broker's reported errors. */
  onError(error: unknown): void;
}

/**
 * The contract every Broker passes. `make` builds two brokers that behave as two
 * nodes of one cluster (same network, Redis channel or database); the test closes them.
 */
export function brokerContract(name: string, make: (ctx: BrokerTestContext) => Promise<[Broker, Broker]>) {
  const withBrokers = async (
    fn: (a: Broker, b: Broker, commit: (n: number, size?: number) => BrokerBatch, errors: unknown[]) => Promise<void>,
  ) => {
    const log: Message[] = [];
    const errors: unknown[] = [];
    const ctx: BrokerTestContext = {
      readRange: async (after, upto) => log.filter((m) => m.id > after && m.id <= upto),
      onError: (e) => errors.push(e),
    };
    const commit = (n: number, size = 10): BrokerBatch => {
      const messages = Array.from({ length: n }, () => message(log.length + 1, size)).map((m) => {
        log.push(m);
        return m;
      });
      return { lastId: log.length, messages };
    };
    const [a, b] = await make(ctx);
    try {
      await Promise.all([a.ready(), b.ready()]);
      await fn(a, b, commit, errors);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  };

  describe(`Broker contract: ${name}`, () => {
    test('a batch published on one node reaches the subscribers of every node, itself included, whole', async () => {
      await withBrokers(async (a, b, commit) => {
        const onA = collect(a, 1);
        const onB = collect(b, 1);
        const batch = commit(3);
        await a.publish(batch);
        expect(await onA.done).toEqual([batch]);
        expect(await onB.done).toEqual([batch]);
      });
    });

    test("one publisher's batches arrive in publish order", async () => {
      await withBrokers(async (a, b, commit) => {
        const onB = collect(b, 20);
        const sent: BrokerBatch[] = [];
        for (let i = 0; i < 20; i++) {
          const batch = commit(1 + (i % 3));
          sent.push(batch);
          await a.publish(batch);
        }
        expect(await onB.done).toEqual(sent);
      });
    });

    test('a batch larger than a NOTIFY payload (8000 bytes) arrives whole', async () => {
      await withBrokers(async (a, b, commit) => {
        const onB = collect(b, 1);
        const batch = commit(50, 400);
        expect(JSON.stringify(batch).length).toBeGreaterThan(8000);
        await a.publish(batch);
        expect(await onB.done).toEqual([batch]);
      });
    });

    test('a wake-up (no messages) arrives with its last id', async () => {
      await withBrokers(async (a, b, commit) => {
        const onB = collect(b, 1);
        commit(2);
        await a.publish({ lastId: 2, messages: [] });
        expect(await onB.done).toEqual([{ lastId: 2, messages: [] }]);
      });
    });

    test('a handler that throws is reported and the other handlers still receive', async () => {
      await withBrokers(async (a, b, commit, errors) => {
        b.subscribe(() => {
          throw new Error('handler boom');
        });
        const onB = collect(b, 1);
        await a.publish(commit(1));
        expect((await onB.done).length).toBe(1);
        expect(errors.map((e) => (e as Error).message)).toContain('handler boom');
      });
    });

    test('unsubscribing stops delivery to that handler; publish after close rejects', async () => {
      await withBrokers(async (a, b, commit) => {
        let removed = 0;
        const off = b.subscribe(() => {
          removed++;
        });
        off();
        const onB = collect(b, 2);
        await a.publish(commit(1));
        await a.publish(commit(1));
        expect((await onB.done).length).toBe(2);
        expect(removed).toBe(0);
        await a.close();
        await expect(a.publish(commit(1))).rejects.toThrow(/closed/);
      });
    });
  });
}

function message(id: number, size: number): Message {
  return {
    id,
    from: null,
    to: null,
    channel: 'room',
    type: 'chat.message',
    payload: { text: 'x'.repeat(size) },
    createdAt: new Date(1_767_225_600_000 + id).toISOString(),
    expiresAt: null,
    deliveredAt: null,
  };
}

/** Resolves with the first `n` batches the broker's node receives (5 s at most). */
function collect(broker: Broker, n: number): { done: Promise<BrokerBatch[]> } {
  const got: BrokerBatch[] = [];
  let off = () => {};
  const done = new Promise<BrokerBatch[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${n} batches`)), 5000);
    off = broker.subscribe((batch) => {
      got.push(batch);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
  return { done: done.finally(() => off()) };
}
