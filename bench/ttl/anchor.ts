/**
 * The anchor: a raw chunked DELETE of every expired row with bun:sqlite, on the
 * hub's schema and pragmas, nothing else (no archive, events or yields).
 *
 *   bun bench/ttl/anchor.ts <db> <chunk>   → prints one JSON line
 */
import { Database } from 'bun:sqlite';
import { SQLITE_PRAGMAS } from '../../src/runtime/sqlite-pragmas.ts';

const [path, chunkArg = '1000'] = process.argv.slice(2);
const chunk = Number(chunkArg);
const db = new Database(path);
for (const pragma of SQLITE_PRAGMAS) db.exec(pragma);
const remove = db.prepare(
  'DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE expires_at <= ? LIMIT ?)',
);
const now = Date.now();
let deleted = 0;
let worstBatchMs = 0;
const started = performance.now();
for (;;) {
  const t0 = performance.now();
  const { changes } = remove.run(now, chunk);
  worstBatchMs = Math.max(worstBatchMs, performance.now() - t0);
  deleted += changes;
  if (changes < chunk) break;
}
const totalMs = performance.now() - started;
db.close();
console.log(JSON.stringify({ deleted, totalMs, worstBatchMs }));
