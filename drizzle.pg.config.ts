import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL twin of drizzle.config.ts: one journal for the kernel and every built-in plugin. */
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/messages/schema.pg.ts',
    './src/kernel/identity/schema.pg.ts',
    './src/cluster/schema.pg.ts',
    './plugins/*/schema.pg.ts',
  ],
  out: './drizzle/pg',
  casing: 'snake_case',
});
