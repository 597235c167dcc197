import { afterAll, expect, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { EndpointStore } from '../../../plugins/webhooks/endpoints.ts';
import { generateSecret } from '../../../plugins/webhooks/signing.ts';
import { webhookTables } from '../../../plugins/webhooks/tables.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { bunRuntime } from '../../../src/runtime/bun.ts';
import { openStorage } from '../../../src/storage/open.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

/**
 * The guard a node's endpoint cache gives message commits (`EndpointStore.guard()`)
 * expects the endpoints version the database holds after each of the node's own
 * writes (each write bumps it once, and the cache moves with it), so the node's next
 * batch still commits in one statement. After another node's write it no longer does,
 * so that batch takes the transaction and reloads.
 */
const db = await createTestDatabase(import.meta.path);
const opened: Storage[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

async function node(url: string) {
  const { storage } = await openStorage(url, bunRuntime);
  opened.push(storage);
  const tables = await storage.tables(webhookTables);
  const endpoints = new EndpointStore(storage, tables, new ManualClock(Date.UTC(2026, 5, 1)));
  await endpoints.reload();
  const stored = async () => {
    const guard = endpoints.guard();
    if (!guard) throw new Error('no guard on PostgreSQL');
    const [row] = await storage.db
      .select({ value: tables.meta.value })
      .from(tables.meta)
      .where(eq(tables.meta.key, guard.key.value as string));
    return { expected: guard.expected, stored: Number(row.value) };
  };
  return { endpoints, stored };
}

const fields = {
  url: 'https://receiver.example/hook',
  description: '',
  events: ['message.sent'],
  channels: null,
  format: 'standard' as const,
  enabled: true,
  disabledReason: null,
  headers: {},
  previousSecret: null,
  previousSecretExpiresAt: null,
  retrySchedule: null,
  timeoutMs: null,
  consecutiveFailures: 0,
  failingSince: null,
};

test.skipIf(!db)("a node's own endpoint writes keep its guard current; another node's make it fail", async () => {
  const url = db!.url({ schema: 'version' });
  const a = await node(url);
  const b = await node(url);
  // The version row exists before any endpoint write, so a guard has a row to lock.
  expect(await a.stored()).toEqual({ expected: 0, stored: 0 });

  const created = await a.endpoints.insert({ ...fields, secret: generateSecret(24) });
  expect(await a.stored()).toEqual({ expected: 1, stored: 1 });
  await a.endpoints.update(created.id, { description: 'renamed' });
  expect(await a.stored()).toEqual({ expected: 2, stored: 2 });
  await a.endpoints.countFailure(created.id, 1000);
  expect(await a.stored()).toEqual({ expected: 3, stored: 3 });
  await opened[0].transaction((tx) => a.endpoints.countFailure(created.id, 2000, tx));
  expect(await a.stored()).toEqual({ expected: 4, stored: 4 });

  // Node B loaded at 0 and wrote nothing: its guard fails until it syncs.
  expect(await b.stored()).toEqual({ expected: 0, stored: 4 });
  await b.endpoints.sync();
  expect(await b.stored()).toEqual({ expected: 4, stored: 4 });
  await b.endpoints.remove(created.id);
  expect(await b.stored()).toEqual({ expected: 5, stored: 5 });
  expect(await a.stored()).toEqual({ expected: 4, stored: 5 });
});
