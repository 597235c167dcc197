import { afterAll, describe, expect, test } from 'bun:test';
import { PostgresPresence } from '../../src/cluster/presence-postgres.ts';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { openStorage } from '../../src/storage/open.ts';
import type { PostgresStorage } from '../../src/storage/storage-postgres.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { presenceContract } from './presence.contract.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const stores: PostgresStorage[] = [];
afterAll(() => Promise.all(stores.map((s) => s.close())));

if (db) {
  presenceContract('PostgreSQL UNLOGGED tables (PostgresPresence)', async () => {
    // One migrated schema per test: a fresh, empty presence store, with the tables the hub's migrations make.
    const schema = `p_${crypto.randomUUID().replaceAll('-', '')}`;
    const { storage } = await openStorage(db.url({ schema }), bunRuntime);
    const store = storage as PostgresStorage;
    stores.push(store);
    const { client } = store.store;
    return (options) => new PostgresPresence({ ...options, client });
  });

  test('a heartbeat still on its way when the node closes does not leave the node alive', async () => {
    const schema = `p_${crypto.randomUUID().replaceAll('-', '')}`;
    const { storage } = await openStorage(db.url({ schema }), bunRuntime);
    const store = storage as PostgresStorage;
    stores.push(store);
    const { client } = store.store;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    /** Holds its heartbeat write until the gate opens: the write is "in flight" meanwhile. */
    class HeldBeat extends PostgresPresence {
      hold = false;
      protected override async beat(expiresAt: number): Promise<boolean> {
        if (this.hold) await gate;
        return super.beat(expiresAt);
      }
    }
    const node = new HeldBeat({ nodeId: 'node-a', client, heartbeatMs: 0 });
    await node.join('room', 'alice');
    node.hold = true;
    const late = node.heartbeat();
    const closing = node.close();
    // The write lands once close has finished (or, when close waits for it, soon after).
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 200))]);
    release();
    await closing;
    await late;
    const rows = await client`select node_id from relaykit_presence_nodes`;
    expect(rows.map((r) => r.node_id)).toEqual([]);
    expect(await client`select client_id from relaykit_presence`).toHaveLength(0);
  });
} else {
  describe('Presence contract: PostgreSQL', () => test.skip('PostgreSQL is not answering', () => {}));
}
