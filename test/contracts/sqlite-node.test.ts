import { openNodeSqlite } from '../../src/runtime/node-sqlite.ts';
import { sqliteContract } from './sqlite.contract.ts';

// The Deno adapter's database; node:sqlite behaves the same under Bun, so the contract runs here.
sqliteContract('node:sqlite (Deno)', openNodeSqlite);
