import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CLIENT_DIR, generateClient } from '../../scripts/generate-client.ts';

const fresh = mkdtempSync(join(tmpdir(), 'relaykit-client-'));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return out;
}

test('the committed client is exactly what the current server generates (else: bun run client:generate)', async () => {
  await generateClient(fresh);
  const committed = files(CLIENT_DIR);
  const generated = files(fresh);
  const names = [...new Set([...committed.keys(), ...generated.keys()])].sort();
  const drifted = names.filter((name) => committed.get(name) !== generated.get(name));
  expect(drifted).toEqual([]);
  expect(generated.size).toBeGreaterThan(5);
}, 30_000);
