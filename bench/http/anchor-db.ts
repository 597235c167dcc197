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
