import { defineConfig } from 'drizzle-kit';

/** The pins plugin's PostgreSQL migrations: `bunx drizzle-kit generate --config drizzle.pg.config.ts --name <what>`. */
export default defineConfig({ dialect: 'postgresql', schema: './schema.pg.ts', out: './drizzle/pg' });
