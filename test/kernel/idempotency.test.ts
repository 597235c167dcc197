import { afterEach, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

/**
 * `Idempotency-Key` on POST /messages, on both stores: a retry returns the original
 * message and stores nothing, another body under the same key is a 409, keys are
 * per caller, expire with the window and are purged, and concurrent retries (also
 * within one group-commit batch) store one message.
 */

const database: TestDatabase | null = await createTestDatabase(import.meta.path);
const STORES = [
  { name: 'sqlite', url: null as string | null },
  { name: 'postgres', url: database ? database.url() : null },
];

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const t of hubs) await t.stop();
  hubs = [];
});

const body = { channel: 'orders', type: 'order.placed', payload: { n: 1 } };

function post(t: TestHub, key: string | null, json: unknown = body, token?: string) {
  return t.request('/messages', {
    method: 'POST',
    json,
    token,
    headers: key === null ? {} : { 'idempotency-key': key },
  });
}

async function count(t: TestHub): Promise<number> {
  const res = await t.request('/messages?channel=orders&limit=1000');
  return (await res.json()).messages.length;
}

for (const store of STORES) {
  describe(`Idempotency-Key on ${store.name}`, () => {
    const skip = store.name === 'postgres' && store.url === null;

    async function start(options: { clock?: ManualClock; yaml?: string } = {}): Promise<TestHub> {
      const t = await startTestHub({
        clock: options.clock,
        configYaml: options.yaml,
        overrides: store.url ? { storage: { url: store.url } } : {},
      });
      hubs.push(t);
      return t;
    }

    test.skipIf(skip)(
      'a retry with the same key and body returns the original message and stores nothing',
      async () => {
        const t = await start();
        const key = `k-${crypto.randomUUID()}`;
        const before = await count(t);
        const first = await post(t, key);
        expect(first.status).toBe(201);
        expect(first.headers.get('idempotent-replayed')).toBeNull();
        const original = await first.json();
        const retry = await post(t, key);
        expect(retry.status).toBe(201);
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        expect(await retry.json()).toEqual(original);
        expect(await count(t)).toBe(before + 1);
        // Without a key nothing changes: every post is a new message.
        await post(t, null);
        await post(t, null);
        expect(await count(t)).toBe(before + 3);
      },
    );

    test.skipIf(skip)('the same key with a different body is a 409 and stores nothing', async () => {
      const t = await start();
      const key = `k-${crypto.randomUUID()}`;
      expect((await post(t, key)).status).toBe(201);
      const before = await count(t);
      const other = await post(t, key, { ...body, payload: { n: 2 } });
      expect(other.status).toBe(409);
      expect((await other.json()).error.code).toBe('RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED');
      expect(await count(t)).toBe(before);
    });

    test.skipIf(skip)('a malformed key is refused with a clear error and stores nothing', async () => {
      const t = await start();
      const before = await count(t);
      for (const bad of ['has space', 'x'.repeat(256), 'é']) {
        const res = await post(t, bad);
        expect(res.status).toBe(422);
        const error = (await res.json()).error;
        expect(error.code).toBe('RELAYKIT_ERR_VALIDATION');
        expect(error.message).toContain('Idempotency-Key');
      }
      expect(await count(t)).toBe(before);
    });

    test.skipIf(skip)('keys are scoped to the caller: two API keys may use the same key', async () => {
      const sha = (s: string) => createHash('sha256').update(s).digest('hex');
      const yaml = [
        'auth:',
        '  apiKeys:',
        '    - name: alpha',
        `      hash: sha256:${sha('alpha-secret-0123456789abcdef')}`,
        '      scopes: { publish: ["*"], read: ["*"] }',
        '    - name: beta',
        `      hash: sha256:${sha('beta-secret-0123456789abcdefgh')}`,
        '      scopes: { publish: ["*"], read: ["*"] }',
      ].join('\n');
      const t = await start({ yaml });
      const key = `shared-${crypto.randomUUID()}`;
      const a = await post(t, key, body, 'alpha-secret-0123456789abcdef');
      const b = await post(t, key, body, 'beta-secret-0123456789abcdefgh');
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect((await a.json()).id).not.toBe((await b.json()).id);
    });

    test.skipIf(skip)('concurrent retries, in one batch and across batches, store exactly one message', async () => {
      const t = await start();
      const key = `k-${crypto.randomUUID()}`;
      const before = await count(t);
      // Fired together: they join one group commit (and a few land in the next ones).
      const responses = await Promise.all(Array.from({ length: 20 }, () => post(t, key)));
      const answers = await Promise.all(responses.map((r) => r.json()));
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(new Set(answers.map((m) => m.id)).size).toBe(1);
      expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length).toBe(19);
      expect(await count(t)).toBe(before + 1);
      // A different body racing under the same key: whichever body reaches the hub first wins,
      // requests with that body get its message, requests with the other body a 409.
      const raced = `k-${crypto.randomUUID()}`;
      const mixed = await Promise.all([post(t, raced), post(t, raced, { ...body, payload: { n: 9 } }), post(t, raced)]);
      const statuses = mixed.map((r) => r.status);
      expect([
        [201, 409, 201],
        [409, 201, 409],
      ]).toContainEqual(statuses);
      // Straight into the core in one tick: certainly one batch.
      const direct = `k-${crypto.randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.hub.messages.sendOnce({ channel: 'orders', type: 'order.placed', payload: 7 }, { scope: 's', key: direct }),
        ),
      );
      expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
      expect(results.filter((r) => r.replayed).length).toBe(4);
    });

    test.skipIf(store.name !== 'postgres' || skip)(
      'two hubs on one database racing one key store one message',
      async () => {
        const [a, b] = [await start(), await start()];
        const key = `k-${crypto.randomUUID()}`;
        const before = await count(a);
        const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => post(i % 2 ? a : b, key)));
        const ids = await Promise.all(responses.map(async (r) => (await r.json()).id));
        expect(new Set(ids).size).toBe(1);
        expect(responses.filter((r) => r.headers.get('idempotent-replayed') !== 'true').length).toBe(1);
        expect(await count(b)).toBe(before + 1);
      },
    );

    test.skipIf(skip)('a key is remembered across restarts, forgotten after the window, then purged', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const yaml = 'messages:\n  idempotencyWindowSeconds: 60\n';
      let t = await start({ clock, yaml });
      const key = `k-${crypto.randomUUID()}`;
      const original = await (await post(t, key)).json();
      // Restart on the same database (the SQLite file stays in the folder).
      const dir = t.dir;
      await t.stop(true);
      hubs = hubs.filter((h) => h !== t);
      t = await startTestHub({
        clock,
        dir,
        configYaml: yaml,
        overrides: store.url ? { storage: { url: store.url } } : {},
      });
      hubs.push(t);
      const again = await post(t, key);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await again.json()).id).toBe(original.id);
      clock.advance(61_000);
      const later = await post(t, key);
      expect(later.status).toBe(201);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      const fresh = await later.json();
      expect(fresh.id).toBeGreaterThan(original.id);
      // Another key, expired and never reused, is purged.
      const stale = `k-${crypto.randomUUID()}`;
      await post(t, stale);
      clock.advance(61_000);
      expect(await t.hub.messages.purgeExpiredKeys()).toBeGreaterThanOrEqual(2);
      expect(await t.hub.messages.purgeExpiredKeys()).toBe(0);
    });
  });
}
