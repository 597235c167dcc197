/** Release hygiene: the license, the changelog, the stability policy, and a README that names only real files. */
import { expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

test('LICENSE is the license package.json declares', () => {
  const pkg = JSON.parse(read('package.json')) as { license: string };
  expect(pkg.license).toBe('MIT');
  expect(read('LICENSE')).toStartWith('MIT License\n');
  expect(read('LICENSE')).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
});

test('CHANGELOG.md follows Keep a Changelog, with an Unreleased section and the current version', () => {
  const changelog = read('CHANGELOG.md');
  const { version } = JSON.parse(read('package.json')) as { version: string };
  expect(changelog).toStartWith('# Changelog\n');
  expect(changelog).toContain('keepachangelog.com');
  expect(changelog).toContain('## [Unreleased]');
  expect(changelog).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
  const kinds = [...changelog.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  expect(kinds.filter((k) => !['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'].includes(k))).toEqual(
    [],
  );
});

test('the stability policy names every public surface', () => {
  const policy = read('docs/stability.md').toLowerCase();
  for (const surface of ['routes', 'operationid', 'frames', 'close codes', 'config keys', 'metric names'])
    expect(policy).toContain(surface);
});

/** Relative links and backticked repository paths in a Markdown file. */
function namedFiles(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1])
    .filter((l) => !/^[a-z]+:/.test(l));
  const mentioned = [
    ...markdown.matchAll(/(?:^|[\s`(])((?:docs|examples|clients|bench|test)\/[\w./-]+\.(?:md|ts|yaml))/g),
  ].map((m) => m[1]);
  return [...new Set([...links, ...mentioned])];
}

test.each(['README.md', 'docs/stability.md', 'CHANGELOG.md'])('%s names only files that exist', (file) => {
  const named = namedFiles(read(file));
  expect(named.length).toBeGreaterThan(0);
  const missing = named.filter((path) => !existsSync(resolve(ROOT, dirname(file), path)));
  expect(missing).toEqual([]);
});
