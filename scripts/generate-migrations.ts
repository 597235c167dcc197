/**
 * `bun run db:generate -- --name <what>`: runs drizzle-kit for both dialects with the
 * same arguments (SQLite: drizzle.config.ts → drizzle/; PostgreSQL:
 * drizzle.pg.config.ts → drizzle/pg/), then embeds both lists (scripts/embed-migrations.ts).
 * A dialect whose schema did not change gets no new migration.
 */
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const args = process.argv.slice(2);

function run(cmd: string[]): void {
  const result = Bun.spawnSync(cmd, { cwd: ROOT, stdout: 'inherit', stderr: 'inherit', stdin: 'inherit' });
  if (result.exitCode !== 0) {
    console.error(`${cmd.join(' ')} exited with ${result.exitCode}`);
    process.exit(result.exitCode ?? 1);
  }
}

run(['bunx', 'drizzle-kit', 'generate', '--config', 'drizzle.config.ts', ...args]);
run(['bunx', 'drizzle-kit', 'generate', '--config', 'drizzle.pg.config.ts', ...args]);
run(['bun', 'scripts/embed-migrations.ts']);
