import { defineConfig } from 'drizzle-kit';

/** One migrations journal for the kernel and every built-in plugin's tables. */
export default defineConfig({
  dialect: 'sqlite',
  schema: ['./src/messages/schema.ts', './src/kernel/identity/schema.ts', './plugins/*/schema.ts'],
  out: './drizzle',
  casing: 'snake_case',
});
