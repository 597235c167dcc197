import { getTableName, sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import { messageIdCounter, messages } from '../../messages/schema.pg.ts';
import type { RowGuard } from '../storage.ts';
import { type PostgresDatabase, quoteIdentifier } from './open.ts';

/** A new message row as the message core writes it; ids are allocated here. */
export interface NewPostgresMessage {
  from: string | null;
  to: string | null;
  channel: string | null;
  type: string;
  /** JSON text, stored byte for byte. */
  payload: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number | null;
}

/** Anything that runs a statement: a transaction handle (the normal case) or the database itself. */
export type PostgresExecutor = Pick<PostgresDatabase, 'execute'>;

/**
 * Inserts `rows` into `messages` and returns their ids, in the order of `rows`.
 *
 * The ids come from the one `message_id_counter` row, bumped by the same
 * statement that inserts the batch (a CTE), so:
 * - they are dense: a batch gets `last+1 .. last+n`, and a rolled-back
 *   transaction rolls the counter back with its rows (no hole);
 * - they follow commit order: the counter's row lock is held until the
 *   transaction ends, so the next batch is numbered only after this one has
 *   committed. A reader tailing `id > cursor` therefore never skips a row that
 *   commits later with a smaller id, which a sequence cannot promise (its values
 *   are taken before commit).
 *
 * Contract for the caller: run it inside the transaction that commits the batch,
 * at READ COMMITTED (Postgres's default; stricter levels make the second of two
 * concurrent batches fail with a serialization error), and as late in that
 * transaction as the work allows: every batch in the cluster waits on this row
 * lock until the transaction commits. Rows written after it in the same
 * transaction (the webhooks outbox) may use the returned ids.
 */
export async function insertMessages(
  tx: PostgresExecutor,
  rows: readonly NewPostgresMessage[],
  /** Also NOTIFY this channel with `first:last` (the NOTIFY broker's payload), sent when the statement's transaction commits. */
  announce?: string,
): Promise<number[]> {
  return (await insertGuarded(tx, rows, announce, [])) as number[];
}

/**
 * `insertMessages` as one statement that first checks `guards` (see RowGuard): each
 * guard's row is read `FOR SHARE`, so a writer of it that has not committed is waited
 * for and its committed value compared, and a writer that comes later waits for this
 * statement's transaction. When one does not hold, nothing is written (not even the
 * counter: no id is taken) and it resolves with null. Run outside a transaction, the
 * statement is its own: with `announce` and guards, the whole commit is one round trip.
 */
export async function insertGuarded(
  tx: PostgresExecutor,
  rows: readonly NewPostgresMessage[],
  announce: string | undefined,
  guards: readonly RowGuard[],
): Promise<number[] | null> {
  if (!rows.length) return [];
  const n = rows.length;
  const column = <T>(pick: (row: NewPostgresMessage) => T): T[] => rows.map(pick);
  const params: unknown[] = [
    n,
    column((r) => r.from),
    column((r) => r.to),
    column((r) => r.channel),
    column((r) => r.type),
    column((r) => r.payload),
    column((r) => r.createdAt),
    column((r) => r.expiresAt),
  ];
  if (announce !== undefined) params.push(announce);
  for (const guard of guards) params.push(guard.key.value, guard.expected);
  // A prepared statement: one round trip per batch (an unprepared query with
  // parameters is described by the driver first, which costs a second one).
  const result = await driverOf(tx).unsafe<{ id: string | number | null }[]>(
    statementFor(announce !== undefined, guards),
    params as never[],
    { prepare: true },
  );
  // The guards' marker: one row with no id, and nothing written.
  if (guards.length && result.length === 1 && result[0].id === null) return null;
  const ids = result.map((r) => Number(r.id)).sort((a, b) => a - b);
  // No counter row means the migrations did not run: fail loudly rather than store nothing.
  if (ids.length !== n) throw new Error(`message_id_counter is missing: ${ids.length} of ${n} messages were stored`);
  return ids;
}

const COUNTER = `counter as (
    update "${getTableName(messageIdCounter)}" set last_id = last_id + $1 returning last_id
  )`;
const INSERT = `insert into "${getTableName(messages)}" (id, from_client, to_client, channel, type, payload, created_at, expires_at)
  select counter.last_id - $1 + batch.ord, batch.from_client, batch.to_client, batch.channel,
         batch.type, batch.payload, batch.created_at, batch.expires_at
  from counter, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[])
    with ordinality as batch(from_client, to_client, channel, type, payload, created_at, expires_at, ord)
  returning id`;

/** The batch insert of `insertMessages`: $1 is the batch size, $2..$8 one array per column. */
const INSERT_BATCH = `with ${COUNTER} ${INSERT}`;

/**
 * The same, announcing the batch on channel $9 with `first:last` (pg_notify is
 * volatile, so its CTE runs exactly once; the NOTIFY goes out when the statement's
 * transaction commits, never for a rolled-back one).
 */
const INSERT_BATCH_ANNOUNCED = `with ${COUNTER},
  inserted as (${INSERT}),
  announced as (
    select pg_notify($9, (select min(id) from inserted)::text || ':' || (select max(id) from inserted)::text)
  )
  select inserted.id from inserted, announced`;

/** Guarded statements by shape (announced or not, and the guards' tables and columns). */
const guardedStatements = new Map<string, string>();

/** The statement for a batch: the two fixed ones, or one built (once per shape) around guards. */
function statementFor(announced: boolean, guards: readonly RowGuard[]): string {
  if (!guards.length) return announced ? INSERT_BATCH_ANNOUNCED : INSERT_BATCH;
  const first = announced ? 10 : 9;
  const checks = guards.map((guard, i) => {
    const [table, key, value] = [getTableName(guard.table), guard.key.column.name, guard.column.name].map(
      quoteIdentifier,
    );
    return `exists (select from ${table} where ${key} = $${first + 2 * i} and ${value} = $${first + 2 * i + 1} for share of ${table})`;
  });
  const shape = `${announced}|${checks.join('|')}`;
  let text = guardedStatements.get(shape);
  if (text) return text;
  // The guard runs first (the counter's update waits on its one-time filter): its rows
  // are share-locked before the counter row is locked. When it fails, the counter is not
  // touched and the statement returns one row with a null id instead of the batch's ids.
  text = `with guard as (select ${checks.join(' and ')} as ok),
  counter as (
    update "${getTableName(messageIdCounter)}" set last_id = last_id + $1 where (select ok from guard) returning last_id
  ),
  inserted as (${INSERT})${
    announced
      ? `,
  announced as (
    select pg_notify($9, min(id)::text || ':' || max(id)::text) from inserted having count(*) > 0
  )
  select inserted.id from inserted, announced`
      : `
  select inserted.id from inserted`
  }
  union all select null from guard where not ok`;
  guardedStatements.set(shape, text);
  return text;
}

/**
 * The postgres-js client under a Drizzle database or transaction (the pool, or the
 * connection a transaction holds), for statements Drizzle cannot prepare.
 */
export function driverOf(executor: PostgresExecutor): Sql {
  const client = (executor as { session?: { client?: Sql } }).session?.client;
  if (!client || typeof client.unsafe !== 'function') {
    throw new TypeError('Expected a Drizzle postgres-js database or transaction');
  }
  return client;
}

/** The highest message id ever allocated and committed (0 before the first), whatever retention deleted since. */
export async function lastMessageId(db: PostgresExecutor): Promise<number> {
  const rows = await db.execute<{ last_id: string | number }>(sql`select last_id from ${messageIdCounter}`);
  return rows.length ? Number(rows[0].last_id) : 0;
}
