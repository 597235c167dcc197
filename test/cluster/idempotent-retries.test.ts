import { afterAll, expect, test } from 'bun:test';
import type { HubUnderTest } from '../helpers/hub-process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, admin, startNodes } from './nodes.ts';

/**
 * A publisher retrying on another node: the same Idempotency-Key posted to node A,
 * then to node B (and to both at once), stores one message and answers its id
 * everywhere; another body under the key is refused on any node.
 */
const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
let nodes: HubUnderTest[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.dispose()));
});

async function send(node: HubUnderTest, key: string, payload: unknown) {
  const res = await fetch(`${node.url}/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify({ channel: 'orders', type: 'order.placed', payload }),
  });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', body: await res.json() };
}

test.skipIf(!db)(
  'the same key to node A then node B returns the same message; another body is a 409 on either',
  async () => {
    nodes = await startNodes(2, db!.url(), '');
    const [a, b] = nodes;
    const first = await send(a, 'order-1', { total: 7 });
    expect(first.status).toBe(201);
    expect(first.replayed).toBe(false);
    const retry = await send(b, 'order-1', { total: 7 });
    expect(retry).toEqual({ status: 201, replayed: true, body: first.body });
    const other = await send(b, 'order-1', { total: 8 });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('RELAYKIT_ERR_IDEMPOTENCY_KEY_REUSED');

    // Racing retries on both nodes at once: one message.
    const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i % 2 ? a : b, 'order-2', { total: 9 })));
    expect(new Set(raced.map((r) => r.body.id)).size).toBe(1);
    expect(raced.filter((r) => !r.replayed).length).toBe(1);

    const listed = await (await admin(a, '/messages?channel=orders')).json();
    expect(listed.messages.map((m: { id: number }) => m.id)).toEqual([first.body.id, raced[0].body.id]);
  },
);
