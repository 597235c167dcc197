import { Database } from 'bun:sqlite';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { BUILTIN_MIGRATIONS, migrate } from '../../src/storage/sqlite.ts';

export interface SeedShape {
  /** Rows already expired when the bench runs. */
  expired: number;
  /** Rows that must survive: every `(expired + live) / live`-th row, half permanent, half far in the future. */
  live: number;
}

/**
 * Writes the bench database: the hub's own migrations, then `expired + live` messages
 * interleaved in id order, as a hub with mixed policies would hold them (expiries
 * rising with ids). Checkpointed, so copies of the file are self-contained.
 */
export function seedDatabase(path: string, shape: SeedShape): void {
  const handle = bunRuntime.openSqlite(path);
  migrate(handle, BUILTIN_MIGRATIONS);
  handle.close();

  const db = new Database(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = OFF');
  const insert = db.prepare(
    'INSERT INTO messages (from_client, to_client, channel, type, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const total = shape.expired + shape.live;
  const every = Math.round(total / shape.live);
  const now = Date.now();
  const created = now - 2 * 86_400_000;
  const types = ['task.created', 'error.db', 'chat.message', 'metrics.tick'];
  let live = 0;
  db.transaction(() => {
    for (let i = 0; i < total; i++) {
      const keep = live < shape.live && i % every === every - 1;
      if (keep) live++;
      const expiresAt = keep ? (live % 2 ? null : now + 30 * 86_400_000) : created + 3_600_000 + i;
      insert.run(
        `agent-${i % 50}`,
        `agent-${(i + 7) % 100}`,
        `room-${i % 20}`,
        keep && expiresAt === null ? 'audit.login' : types[i % types.length],
        `{"n":${i},"text":"a message of a realistic size for an agent bridge"}`,
        created + i,
        expiresAt,
      );
    }
  })();
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
}
