import { afterAll } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bunRuntime } from '../../src/runtime/bun.ts';
import { openNodeSqlite } from '../../src/runtime/node-sqlite.ts';
import type { RuntimeAdapter } from '../../src/runtime/types.ts';
import { openStorage } from '../../src/storage/open.ts';
import { storageContract } from './storage.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storageContract('bun:sqlite (Bun)', () => openStorage(`sqlite:${join(dir, `bun-${++n}.db`)}`, bunRuntime));
// The Deno adapter's driver; node:sqlite behaves the same under Bun, so the contract runs here.
const nodeRuntime = { ...bunRuntime, openSqlite: openNodeSqlite } as RuntimeAdapter;
storageContract('node:sqlite (Deno)', () => openStorage(`sqlite:${join(dir, `node-${++n}.db`)}`, nodeRuntime));
