/**
 * Run by test/storage/sqlite-checkpointer.test.ts under each runtime, and compiled by
 * test/binary/checkpointer.test.ts: opens a SQLite file through the runtime's adapter,
 * waits for the WAL checkpointer's worker to take over checkpoints, prints the hub
 * connection's `wal_autocheckpoint`, and returns WITHOUT closing the store (`--close`
 * closes it first). The process must exit.
 *
 *   <runtime> test/storage/checkpointer-probe.ts <database file> [--close]
 */
import { sql } from 'drizzle-orm';
import { detectRuntime } from '../../src/runtime/index.ts';

const [path, close] = process.argv.slice(2);
if (!path) throw new Error('usage: checkpointer-probe.ts <database file> [--close]');
const handle = (await detectRuntime()).openSqlite(path);
handle.exec('CREATE TABLE t (x)');
const autocheckpoint = () => Number(Object.values(handle.db.get<object>(sql`PRAGMA wal_autocheckpoint`))[0]);
const deadline = performance.now() + 10_000;
while (autocheckpoint() !== 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
console.log(JSON.stringify({ autocheckpoint: autocheckpoint() }));
if (close === '--close') await handle.close();
