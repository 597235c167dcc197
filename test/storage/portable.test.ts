import { expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
/** Where SQLite's synchronous API is the point: the SQLite store and the runtime drivers. */
const SQLITE_ONLY = new Set(['src/storage/sqlite.ts', 'src/messages/store-sql.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

test('the hub, the built-in plugins and the examples only use query calls both dialects have', () => {
  const offenders: string[] = [];
  const files = ['src', 'plugins', 'examples'].flatMap((d) => sources(join(ROOT, d)));
  for (const file of files) {
    const path = relative(ROOT, file);
    if (path.startsWith('src/runtime/') || SQLITE_ONLY.has(path)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // A builder chain ending in SQLite's synchronous executors (`.get()`, `.all()`, `.run()`, prepared `.all({...})`).
        if (/^\s*\.(get|all|run)\((\)|\{)|\)\.(get|all|run)\((\)|\{)/.test(line)) offenders.push(`${path}:${i + 1}`);
        // Plugins reach the store through ctx.storage, never a raw SQLite handle.
        if (/ctx\.db\b|openSqlite\(/.test(line) && !path.startsWith('src/storage/')) offenders.push(`${path}:${i + 1}`);
      });
  }
  expect(offenders).toEqual([]);
});
