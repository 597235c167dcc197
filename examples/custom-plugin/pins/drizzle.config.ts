import { defineConfig } from 'drizzle-kit';

/** The pins plugin's SQLite migrations: `bunx drizzle-kit generate --config drizzle.config.ts --name <what>` in this folder. */
export default defineConfig({ dialect: 'sqlite', schema: './schema.ts', out: './drizzle/sqlite' });
