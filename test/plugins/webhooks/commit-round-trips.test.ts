import { afterAll, expect, test } from 'bun:test';
import { countRoundTrips } from '../../helpers/pg-round-trips.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * What a durable POST /messages costs on PostgreSQL with the webhooks plugin on, in
 * round trips to the database (paired with their requests by a loopback proxy). A
 * message no endpoint wants commits in one: the statement that stores it also checks
 * that this node's endpoint cache is current (the endpoints version, as a RowGuard),
 * where a read of the version of its own used to come first. When another node has
 * changed endpoints, the check fails, nothing is written, and that batch takes the
 * transaction (which reloads the cache); the next one is back to one. Not counted: the
 * live feed's reads of committed messages (`id > delivered`, after its NOTIFY), which
 * are not on the request's path.
 */
const db = await createTestDatabase(import.meta.path);
const server = db ? new URL(db.url()) : null;
const proxy = server ? countRoundTrips(Number(server.port || 5432), server.hostname) : null;
const hubs: WebhookHub[] = [];
afterAll(async () => {
  for (const hub of hubs) await hub.stop();
  proxy?.stop();
});

const commitPath = (request: string) => !/^select .* from "messages" where/.test(request.trim());

/** Round trips on the commit path per message, over `n` messages posted to `hub` one after the other (batches of one). */
async function perMessage(hub: WebhookHub, n: number): Promise<number> {
  const counter = proxy as NonNullable<typeof proxy>;
  const before = counter.count(commitPath);
  for (let i = 0; i < n; i++) await hub.send({ channel: 'plain' });
  return (counter.count(commitPath) - before) / n;
}

test.skipIf(!db)(
  'a message no endpoint wants commits in one round trip; after another node changes endpoints, one batch takes the transaction',
  async () => {
    const url = new URL(db!.url({ schema: 'trips' }));
    url.hostname = '127.0.0.1';
    url.port = String(proxy!.port);
    // Node A goes through the proxy; node B, which changes endpoints, straight to the server.
    const a = await startWebhookHub({ storageUrl: url.toString() });
    hubs.push(a);
    const b = await startWebhookHub({ storageUrl: db!.url({ schema: 'trips' }) });
    hubs.push(b);
    await a.endpoint({ url: 'http://127.0.0.1:9/hook', events: ['message.sent'], channels: ['wanted'] });
    // Statements prepared, pool connections open.
    for (let i = 0; i < 5; i++) await a.send({ channel: 'warm' });

    const alone = await perMessage(a, 20);
    await b.endpoint({ url: 'http://127.0.0.1:9/other', events: ['message.sent'], channels: ['elsewhere'] });
    const afterChange = await perMessage(a, 1);
    const again = await perMessage(a, 20);
    console.log(`round trips per message: ${alone}; right after another node's change ${afterChange}; then ${again}`);
    expect(alone).toBe(1);
    // begin, the insert, the version read and the cache reload, the announcement, commit.
    expect(afterChange).toBeGreaterThan(2);
    expect(again).toBe(1);
  },
);
