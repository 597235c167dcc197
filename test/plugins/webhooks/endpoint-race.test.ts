import { afterEach, expect, test } from 'bun:test';
import postgres from 'postgres';
import { waitFor } from '../../helpers/hub.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * Two hubs on one PostgreSQL database. A batch of messages no endpoint wants commits
 * in one statement, trusting the node's endpoint cache as long as the endpoints
 * version has not moved. Here an endpoint is created on hub A while a batch of hub B
 * is on its way to commit (held up behind the message id counter, as it would be
 * behind other nodes' batches): whichever commits first, a message committed after
 * the endpoint must get its delivery. A check that reads the version before the
 * commit (a query of its own, or a snapshot taken before the wait) lets the endpoint
 * slip in between and the message is never delivered.
 */
const db = await createTestDatabase(import.meta.path);
let hubs: WebhookHub[] = [];
afterEach(async () => {
  for (const h of hubs) await h.stop();
  hubs = [];
});

test.skipIf(!db)(
  'an endpoint created on another node while a batch waits to commit is ordered before it or gets its message',
  async () => {
    const schema = 'race';
    const a = await startWebhookHub({ storageUrl: db!.url({ schema }) });
    const b = await startWebhookHub({ storageUrl: db!.url({ schema }) });
    hubs.push(a, b);
    // B's cache is loaded and its batches take the one-statement path.
    await b.send({ channel: 'before' });
    expect(await b.deliveries()).toEqual([]);

    const sql = postgres(db!.url(), { max: 3 });
    try {
      const lockWaiters = async () =>
        Number(
          (
            await sql`select count(*) as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`
          )[0].n,
        );
      // Another transaction holds the counter row: B's next batch waits on it.
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const holding = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = sql.begin(async (tx) => {
        await tx.unsafe(`update ${schema}.message_id_counter set last_id = last_id`);
        locked();
        await released;
        // Nothing changed: roll back.
        throw new Error('release');
      });
      holder.catch(() => {});
      await holding;

      let committed = false;
      const sent = b.send({ channel: 'during' }).then((m) => {
        committed = true;
        return m;
      });
      await waitFor(async () => (await lockWaiters()) >= 1, 5000, "B's batch waiting on the counter");
      expect(committed).toBe(false);

      let created = false;
      const creating = a.endpoint({ url: 'http://127.0.0.1:9/hook', events: ['message.sent'] }).then((e) => {
        created = true;
        return e;
      });
      // Either the endpoint commits now, or it waits for B's batch (two waiters).
      await waitFor(async () => created || (await lockWaiters()) >= 2, 5000, 'the endpoint created or waiting');
      const endpointFirst = created;
      release();
      const during = await sent;
      await creating;

      const deliveries = await b.deliveries();
      const forDuring = deliveries.filter((d) => d.messageId === during.id);
      // The endpoint committed while B's batch was still waiting: the batch must carry its delivery.
      if (endpointFirst) expect(forDuring).toHaveLength(1);
      // And the endpoint is used from then on.
      const after = await b.send({ channel: 'after' });
      expect((await b.deliveries()).filter((d) => d.messageId === after.id)).toHaveLength(1);
    } finally {
      await sql.end();
    }
  },
);
