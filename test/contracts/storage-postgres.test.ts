import { bunRuntime } from '../../src/runtime/bun.ts';
import { openStorage } from '../../src/storage/open.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { storageContract } from './storage.contract.ts';

const db = await createTestDatabase(import.meta.path);
let n = 0;

// One schema per test: a fresh, empty store each time in the file's own database.
storageContract('PostgreSQL', db ? () => openStorage(db.url({ schema: `contract_${++n}` }), bunRuntime) : null);
