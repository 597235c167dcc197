import { Database } from 'bun:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Opens the anchors' database with the hub's schema (its own migrations) and pragmas. */
export function openAnchorDb(path: string): Database {
  const db = new Database(path, { create: true });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  const exists = db.query("SELECT 1 FROM sqlite_master WHERE name = 'messages'").get();
  if (!exists) {
    const dir = join(import.meta.dir, '../../drizzle');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      for (const stmt of readFileSync(join(dir, file), 'utf8').split('--> statement-breakpoint')) {
        if (stmt.trim()) db.exec(stmt);
      }
    }
  }
  return db;
}

export interface AnchorInput {
  from?: string;
  to?: string;
  channel?: string;
  type: string;
  payload: unknown;
}

/** The anchors' work: read one message by id, or insert one (autocommit), as JSON like the hub's. */
export function anchorStore(path: string) {
  const db = openAnchorDb(path);
  const select = db.prepare('SELECT * FROM messages WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)');
  const insert = db.prepare(
    'INSERT INTO messages (from_client, to_client, channel, type, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
  );
  const toJson = (row: Record<string, unknown>) => ({
    id: row.id,
    from: row.from_client,
    to: row.to_client,
    channel: row.channel,
    type: row.type,
    payload: JSON.parse(row.payload as string),
    createdAt: new Date(row.created_at as number).toISOString(),
    expiresAt: null,
    deliveredAt: null,
  });
  return {
    get(id: number) {
      const row = select.get(id, Date.now()) as Record<string, unknown> | null;
      return row ? toJson(row) : null;
    },
    insert(body: AnchorInput) {
      const now = Date.now();
      const payload = JSON.stringify(body.payload);
      const row = {
        from_client: body.from ?? null,
        to_client: body.to ?? null,
        channel: body.channel ?? null,
        type: body.type,
        payload,
        created_at: now,
      };
      const { id } = insert.get(row.from_client, row.to_client, row.channel, row.type, payload, now) as { id: number };
      return toJson({ id, ...row });
    },
  };
}
