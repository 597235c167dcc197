import { bunRuntime } from '../../src/runtime/bun.ts';
import { sqliteContract } from './sqlite.contract.ts';

sqliteContract('bun:sqlite (Bun)', (path) => bunRuntime.openSqlite(path));
