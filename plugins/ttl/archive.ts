import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { and, asc, eq, gt, inArray, lte, type SQL } from 'drizzle-orm';
import type { Database, ExpiredRow, Tx } from '../../src/index.ts';
import type { TtlOptions } from './options.ts';
import type { ArchiveRow, ttlArchive } from './schema.ts';

type ArchiveTable = typeof ttlArchive;

/** An archived message as `GET /ttl/archive` returns it. */
export interface ArchivedMessage {
  id: number;
  from: string | null;
  to: string | null;
  channel: string | null;
  type: string;
  payload: unknown;
  createdAt: string;
  expiresAt: string;
  deliveredAt: string | null;
  archivedAt: string;
}

/** Rows per INSERT, well under SQLite's bound-parameter limit (11 columns each). */
const INSERT_CHUNK = 500;

/**
 * Where expired messages go before they are deleted: the `ttl_archive` table and/or
 * a JSON Lines file with size-based rotation. `write` runs inside the sweeper's
 * delete transaction: when it throws, the delete rolls back and the rows stay.
 * The file is not transactional, so a crash between the append and the commit can
 * leave a line for a message that is archived again by the next sweep (at least once).
 */
export class Archive {
  readonly enabled: boolean;
  private readonly file: RotatingFile | null;

  constructor(
    private readonly options: TtlOptions['archive'],
    private readonly table: ArchiveTable,
  ) {
    this.file = options.file.path ? new RotatingFile(resolve(options.file.path), options.file) : null;
    this.enabled = options.table || this.file !== null;
  }

  /** Copies expired rows to the configured targets; returns how many went to each. */
  async write(tx: Tx, rows: readonly ExpiredRow[], now: number): Promise<{ table: number; file: number }> {
    let table = 0;
    if (this.options.table) {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows
          .slice(i, i + INSERT_CHUNK)
          .map((row) => ({ ...row, expiresAt: row.expiresAt ?? now, archivedAt: now }));
        const written = await tx
          .insert(this.table)
          .values(chunk)
          .onConflictDoNothing()
          .returning({ id: this.table.id });
        table += written.length;
      }
    }
    if (this.file) this.file.append(rows.map((row) => jsonLine(row, now)).join(''));
    return { table, file: this.file ? rows.length : 0 };
  }

  /** Deletes up to `limit` archive rows older than the retention; returns how many. */
  async prune(db: Database, now: number, limit: number): Promise<number> {
    const cutoff = now - this.options.retentionSeconds * 1000;
    const table = this.table;
    const old = db
      .select({ id: table.id })
      .from(table)
      .where(lte(table.archivedAt, cutoff))
      .orderBy(asc(table.archivedAt))
      .limit(limit);
    const pruned = await db.delete(table).where(inArray(table.id, old)).returning({ id: table.id });
    return pruned.length;
  }
}

/** Pages through the archive table in id order. */
export async function listArchive(
  db: Database,
  table: ArchiveTable,
  query: { type?: string; after?: number; limit: number },
): Promise<ArchivedMessage[]> {
  const where: SQL[] = [];
  if (query.type !== undefined) where.push(eq(table.type, query.type));
  if (query.after !== undefined) where.push(gt(table.id, query.after));
  const rows = await db
    .select()
    .from(table)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(table.id))
    .limit(query.limit);
  return rows.map(toArchived);
}

function toArchived(row: ArchiveRow): ArchivedMessage {
  return {
    id: row.id,
    from: row.from,
    to: row.to,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload),
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    deliveredAt: row.deliveredAt === null ? null : iso(row.deliveredAt),
    archivedAt: iso(row.archivedAt),
  };
}

/** One JSON line in the archive shape; the stored payload is already JSON text, so it is spliced in as is. */
function jsonLine(row: ExpiredRow, now: number): string {
  const head = JSON.stringify({
    id: row.id,
    from: row.from,
    to: row.to,
    channel: row.channel,
    type: row.type,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt ?? now),
    deliveredAt: row.deliveredAt === null ? null : iso(row.deliveredAt),
    archivedAt: iso(now),
  });
  return `${head.slice(0, -1)},"payload":${row.payload}}\n`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** An append-only file rotated by size: `<path>` → `<path>.1` → ... → `<path>.<maxFiles>` (deleted). */
class RotatingFile {
  private size: number;

  constructor(
    private readonly path: string,
    private readonly limits: { maxBytes: number; maxFiles: number },
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.size = existsSync(path) ? statSync(path).size : 0;
  }

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.limits.maxBytes) this.rotate();
    appendFileSync(this.path, text);
    this.size += bytes;
  }

  private rotate(): void {
    rmSync(`${this.path}.${this.limits.maxFiles}`, { force: true });
    for (let i = this.limits.maxFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.size = 0;
  }
}
