import { afterAll, expect, test } from 'bun:test';
import { EndpointStore } from '../../../plugins/webhooks/endpoints.ts';
import { generateSecret } from '../../../plugins/webhooks/signing.ts';
import { webhookTables } from '../../../plugins/webhooks/tables.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { bunRuntime } from '../../../src/runtime/bun.ts';
import { openStorage } from '../../../src/storage/open.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

/**
 * Two nodes settle a failure of one endpoint at the same moment, both with the
 * endpoint cached at 0 failures. The streak is counted in the database (under the
 * row's lock), so it ends at 2: counted from the caches, the second write would
 * store 0 + 1 again and the endpoint would reach auto-disable one failure late.
 */
const db = await createTestDatabase(import.meta.path);
const opened: Storage[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

async function node(url: string): Promise<EndpointStore> {
  const { storage } = await openStorage(url, bunRuntime);
  opened.push(storage);
  return new EndpointStore(storage, await storage.tables(webhookTables), new ManualClock(Date.UTC(2026, 5, 1)));
}

test.skipIf(!db)('failures settled at once on two nodes are both counted in the streak', async () => {
  const url = db!.url({ schema: 'streak' });
  const a = await node(url);
  const b = await node(url);
  const created = await a.insert({
    url: 'https://receiver.example/hook',
    description: '',
    events: ['message.sent'],
    channels: null,
    format: 'standard',
    enabled: true,
    disabledReason: null,
    headers: {},
    secret: generateSecret(24),
    previousSecret: null,
    previousSecretExpiresAt: null,
    retrySchedule: null,
    timeoutMs: null,
    consecutiveFailures: 0,
    failingSince: null,
  });
  await b.reload();
  expect(b.get(created.id)?.row.consecutiveFailures).toBe(0);

  // A counts inside its settle transaction and holds it open; B counts meanwhile (it waits for A's commit).
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let counted: () => void = () => {};
  const aCounted = new Promise<void>((resolve) => {
    counted = resolve;
  });
  const storageA = opened[0];
  const storageB = opened[1];
  const settleA = storageA.transaction(async (tx) => {
    const after = await a.countFailure(created.id, 1000, tx);
    expect(after.row.consecutiveFailures).toBe(1);
    counted();
    await held;
  });
  await aCounted;
  const settleB = storageB.transaction((tx) => b.countFailure(created.id, 2000, tx));
  release();
  await settleA;
  const afterB = await settleB;
  expect(afterB.row.consecutiveFailures).toBe(2);
  // The run started with A's failure.
  expect(afterB.row.failingSince).toBe(1000);
  await a.reload();
  expect(a.get(created.id)?.row.consecutiveFailures).toBe(2);
});
