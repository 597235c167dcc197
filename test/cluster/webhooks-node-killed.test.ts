import { afterAll, expect, test } from 'bun:test';
import postgres from 'postgres';
import { waitFor } from '../helpers/hub.ts';
import type { HubUnderTest } from '../helpers/hub-process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, admin, startNodes } from './nodes.ts';

/**
 * Webhooks from two nodes on one database, one SIGKILLed mid-delivery. A receiver on
 * loopback counts attempts per `webhook-id` and how many of each are open at once.
 * Every message is delivered, no webhook-id is ever attempted by two workers at the
 * same time, and what the killed node held is retried by the other, with the same id.
 * The endpoint is created on node A and used at once by messages posted to node B.
 */
const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
let nodes: HubUnderTest[] = [];
const sql = db ? postgres(db.url(), { max: 1 }) : null;

interface Seen {
  attempts: number;
  open: number;
  messageId: number;
}
const seen = new Map<string, Seen>();
let inFlight = 0;
let overlapping = 0;
const receiver = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const id = request.headers.get('webhook-id') ?? 'none';
    const envelope = JSON.parse(await request.text()) as { data: { id: number } };
    const entry = seen.get(id) ?? { attempts: 0, open: 0, messageId: envelope.data.id };
    seen.set(id, entry);
    entry.attempts++;
    if (++entry.open > 1) overlapping++;
    inFlight++;
    // Slow enough that a node is killed with attempts open.
    await Bun.sleep(150);
    entry.open--;
    inFlight--;
    return new Response(null, { status: 204 });
  },
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.dispose()));
  await sql?.end();
  await receiver.stop(true);
});

const MESSAGES = 80;

test.skipIf(!db)('a node killed mid-delivery strands nothing and no attempt runs twice at once', async () => {
  const config = [
    'plugins:',
    '  webhooks:',
    '    security:',
    "      allowNetworks: ['127.0.0.0/8']",
    '    delivery:',
    '      timeoutMs: 1000',
    '    worker:',
    '      leaseGraceMs: 0',
    '      pollIntervalMs: 100',
  ].join('\n');
  nodes = await startNodes(2, db!.url(), `${config}\n`);
  const [a, b] = nodes;
  const created = await admin(a, '/webhooks/endpoints', {
    method: 'POST',
    json: { url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.sent'] },
  });
  expect(created.status).toBe(201);

  // Straight after the endpoint exists on A, both nodes commit messages.
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const ids = await Promise.all(
    Array.from({ length: MESSAGES }, (_, i) =>
      (i % 2 ? a : b).send({ channel: 'orders', type: 'order.placed', payload: { i } }, auth),
    ),
  );

  // Each node runs at most 8 attempts to one endpoint: more than 8 open means both are sending.
  await waitFor(() => inFlight > 10, 10_000, 'both nodes sending');
  await a.kill('SIGKILL');

  await waitFor(
    async () => {
      const [row] = await sql!`select count(*)::int as n from webhook_deliveries where status <> 'delivered'`;
      return row.n === 0;
    },
    20_000,
    'every delivery delivered',
  );
  const delivered = new Set([...seen.values()].map((s) => s.messageId));
  expect([...delivered].sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
  // One webhook-id per message: the retries of A's deliveries carried the ids A used.
  expect(seen.size).toBe(MESSAGES);
  expect(overlapping).toBe(0);
  const retried = [...seen.values()].filter((s) => s.attempts > 1);
  // A was killed with attempts open: they were made again by B, once each.
  expect(retried.length).toBeGreaterThan(0);
  expect(Math.max(...[...seen.values()].map((s) => s.attempts))).toBe(2);
  // Every attempt B recorded was its own: one recorded attempt per delivered row at most twice.
  const [rows] = await sql!`select count(*)::int as n from webhook_attempts`;
  expect(rows.n).toBeGreaterThanOrEqual(MESSAGES);
  expect(rows.n).toBeLessThanOrEqual(MESSAGES + retried.length);
});
