/**
 * examples/custom-plugin on both stores: the hub started as its README says, with the
 * `pins` plugin's own table migrated on SQLite and on PostgreSQL (its own database),
 * the README's pins commands run as written, and the pin still there after a restart.
 */
import { Database } from 'bun:sqlite';
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createTestDatabase } from '../helpers/postgres.ts';
import { Command, readmeCommands } from './helpers.ts';

const README = 'examples/custom-plugin/README.md';
const pg = await createTestDatabase(import.meta.path);

const running: Command[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const command of running.splice(0).reverse()) await command.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Store {
  name: string;
  url: string;
  /** The pins table's rows and the plugin's applied migrations, read straight from the database. */
  inspect(): Promise<{ pins: Array<{ message_id: number; note: string }>; migrations: number }>;
}

function sqliteStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-pins-'));
  dirs.push(dir);
  const file = join(dir, 'hub.db');
  return {
    name: 'sqlite',
    url: `sqlite:${file}`,
    async inspect() {
      const db = new Database(file, { readonly: true });
      try {
        const pins = db.query('select message_id, note from pins order by message_id').all() as Array<{
          message_id: number;
          note: string;
        }>;
        const [{ n }] = db.query('select count(*) as n from __relaykit_migrations_pins').all() as [{ n: number }];
        return { pins, migrations: n };
      } finally {
        db.close();
      }
    },
  };
}

function postgresStore(): Store {
  return {
    name: 'postgres',
    url: pg!.url({ schema: 'pins_example' }),
    async inspect() {
      const sql = postgres(pg!.url(), { max: 1, onnotice: () => {} });
      try {
        const pins = await sql<Array<{ message_id: number; note: string }>>`
          select message_id::int as message_id, note from pins_example.pins order by message_id`;
        const [{ n }] = await sql<
          [{ n: number }]
        >`select count(*)::int as n from pins_example.__relaykit_migrations_pins`;
        return { pins: [...pins], migrations: n };
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}

/** Starts the README's run line on `store` (on port 0: the system picks); resolves with the hub's base URL. */
async function startHub(store: Store): Promise<string> {
  const [start] = readmeCommands(README, 'run');
  const hub = new Command(start, {
    env: { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: '0', RELAYKIT_STORAGE_URL: store.url },
  });
  running.push(hub);
  return hub.readyUrl();
}

const cases: Array<[string, () => Store]> = [['sqlite', sqliteStore]];
if (pg) cases.push(['postgres', postgresStore]);

describe('custom-plugin: a plugin with its own tables', () => {
  for (const [name, make] of cases) {
    test(`pins a message in its own table on ${name}, migrated once, kept across a restart`, async () => {
      const store = make();
      let url = await startHub(store);

      const outputs: string[] = [];
      for (const line of readmeCommands(README, 'pins')) {
        const command = new Command(line.replaceAll('localhost:3000', new URL(url).host));
        expect(await command.finished()).toBe(0);
        outputs.push(command.output);
      }
      const [sent, pinned, listed] = outputs.map((o) => JSON.parse(o));
      expect(sent).toMatchObject({ id: 1, channel: 'demo' });
      expect(pinned).toMatchObject({ messageId: 1, channel: 'demo', note: 'the first hello' });
      expect(listed.pins).toEqual([pinned]);

      // Bad input changes nothing: an unknown message, a note over the configured limit.
      const put = (id: number, note: string) =>
        fetch(`${url}/pins/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ note }),
        });
      const unknown = await put(99, 'nope');
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error.code).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');
      expect((await put(1, 'x'.repeat(201))).status).toBe(422);
      expect((await store.inspect()).pins).toEqual([{ message_id: 1, note: 'the first hello' }]);

      // The pin lives in the database: a restarted hub finds it, without migrating again.
      for (const command of running.splice(0)) await command.stop();
      url = await startHub(store);
      const again = await (await fetch(`${url}/pins?channel=demo`)).json();
      expect(again.pins).toEqual([pinned]);
      expect((await store.inspect()).migrations).toBe(1);

      expect((await fetch(`${url}/pins/1`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${url}/pins/1`, { method: 'DELETE' })).status).toBe(404);
      expect((await store.inspect()).pins).toEqual([]);
    }, 60_000);
  }
});
