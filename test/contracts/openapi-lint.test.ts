/** The OpenAPI document passes `redocly lint` (its recommended rules) without an error. */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openApiDocument } from '../../src/cli/main.ts';

const ROOT = resolve(import.meta.dir, '../..');
const dir = mkdtempSync(join(tmpdir(), 'relaykit-openapi-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

test('redocly lint finds no error in the document of a hub with every built-in plugin', async () => {
  const file = join(dir, 'openapi.json');
  const doc = (await openApiDocument()) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify(doc));
  const proc = Bun.spawn([join(ROOT, 'node_modules/.bin/redocly'), 'lint', file, '--format=json'], {
    cwd: dir,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  let report: LintReport;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`redocly lint printed no report:\n${stdout}\n${stderr}`);
  }
  const errors = report.problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
  expect(errors).toEqual([]);
  expect(report.totals.errors).toBe(0);
  // What the linter would otherwise have flagged, checked directly too.
  expect(JSON.stringify(doc)).not.toContain('"nullable"');
  expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  expect((doc.info as { license?: { name: string } }).license?.name).toBe('MIT');
}, 60_000);
