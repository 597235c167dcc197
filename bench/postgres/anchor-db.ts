/**
 * The anchors' work on PostgreSQL with bare postgres-js (no Drizzle, no group commit):
 * read one message by id, or insert one row per request in its own autocommit, into the
 * hub's own `messages` table and indexes (the runner migrates the database first).
 *
 * `ANCHOR_IDS` chooses how the anchor numbers rows:
 * - `sequence` (default): a plain sequence, the fastest honest way, without the hub's
 *   guarantee (ids are taken before commit, so they are not commit-ordered);
 * - `counter`: the hub's own counter row, one bump per request (same guarantee, no batching).
 */
import postgres from 'postgres';

export interface AnchorInput {
  from?: string;
  to?: string;
  channel?: string;
  type: string;
  payload: unknown;
}

interface Row {
  id: string;
  from_client: string | null;
  to_client: string | null;
  channel: string | null;
  type: string;
  payload: string;
  created_at: string;
}

export async function anchorStore(url: string) {
  const sql = postgres(url, { max: Number(process.env.PG_MAX ?? 10), onnotice: () => {} });
  const ids = process.env.ANCHOR_IDS === 'counter' ? 'counter' : 'sequence';
  await sql`create sequence if not exists bench_anchor_message_ids`;
  const toJson = (row: Row) => ({
    id: Number(row.id),
    from: row.from_client,
    to: row.to_client,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    expiresAt: null,
    deliveredAt: null,
  });
  return {
    async get(id: number) {
      const [row] = await sql<Row[]>`
        select * from messages where id = ${id} and (expires_at is null or expires_at > ${Date.now()})`;
      return row ? toJson(row) : null;
    },
    async insert(body: AnchorInput) {
      const values = [
        body.from ?? null,
        body.to ?? null,
        body.channel ?? null,
        body.type,
        JSON.stringify(body.payload),
      ];
      const now = Date.now();
      const [row] =
        ids === 'sequence'
          ? await sql<Row[]>`
              insert into messages (id, from_client, to_client, channel, type, payload, created_at)
              values (nextval('bench_anchor_message_ids'), ${values[0]}, ${values[1]}, ${values[2]}, ${values[3]},
                      ${values[4]}, ${now})
              returning *`
          : await sql<Row[]>`
              with counter as (update message_id_counter set last_id = last_id + 1 returning last_id)
              insert into messages (id, from_client, to_client, channel, type, payload, created_at)
              select counter.last_id, ${values[0]}, ${values[1]}, ${values[2]}, ${values[3]}, ${values[4]}, ${now}
              from counter
              returning *`;
      return toJson(row);
    },
  };
}
